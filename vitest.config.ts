import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // CLI tests run bin/steplab.js, which runs dist/: build it once, fresh.
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    // isolated-vm needs V8 without Node's startup snapshot.
    execArgv: ["--no-node-snapshot"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
