/**
 * Kernel benchmarks, measured the way Jupyter sees a kernel: through jupyter_client
 * (test/helpers/jupyter.py on Debian's /usr/bin/python3), steplab and ipykernel in the same run.
 * Every steplab cell type is held to ipykernel's `1 + 1`: a step cell with a value (`1 + 1`), a
 * step cell that commits an artifact (`self.x = 1`), and a skip cell (no task).
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installKernelspec } from "../kernel/index.js";
import { packageRoot } from "../runtime/support/index.js";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: number;
  /** Undefined for a reference figure (ipykernel's), printed beside ours but held to nothing. */
  ok?: boolean;
}

// Found upwards, so the bench also works bundled into the cache folder (bench/run.mjs does that).
const ROOT = packageRoot();
const PYTHON = "/usr/bin/python3";
const HELPER = join(ROOT, "test", "helpers", "jupyter.py");
const STARTUP_TARGET_MS = 1500;
const SAMPLES = 30;

interface Measured {
  startup_ms: number;
  median_ms: number;
}

function measure(kernel: string, code: string, env: NodeJS.ProcessEnv, cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [HELPER, "bench", kernel, code, String(SAMPLES)], { env, cwd, timeout: 600_000 }, (err, out, errOut) => {
      if (err) reject(new Error(`${kernel}: ${err.message}\n${errOut}`));
      else resolve(JSON.parse(out) as Measured);
    });
  });
}

function hasPythonKernel(): boolean {
  return spawnSync(PYTHON, ["-c", "import jupyter_client, ipykernel"]).status === 0;
}

export async function benchKernel(): Promise<BenchResult[]> {
  const missing = !existsSync(join(ROOT, "bin", "steplab.js"))
    ? "bin/steplab.js"
    : !hasPythonKernel()
      ? "python3-jupyter-client / python3-ipykernel (apt-get install -y python3-ipykernel)"
      : undefined;
  if (missing) {
    process.stderr.write(`benchKernel: cannot measure, missing ${missing}\n`);
    return [{ name: "kernel.startup_to_kernel_info", value: Number.NaN, unit: "ms", target: STARTUP_TARGET_MS, ok: false }];
  }
  const dir = await mkdtemp(join(tmpdir(), "steplab-kernel-bench-"));
  try {
    await installKernelspec({ kind: "prefix", dir });
    const env = {
      ...process.env,
      JUPYTER_PATH: join(dir, "share", "jupyter"),
      JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
      STEPLAB_DATASTORE: join(dir, ".steplab"),
    };
    // Sequential: two kernels at once would measure the machine's two cores, not the kernels.
    const ipy = await measure("python3", "1 + 1", env, dir);
    const stepCell = await measure("steplab", "1 + 1", env, dir);
    const artifactCell = await measure("steplab", "self.x = 1", env, dir);
    const skipCell = await measure("steplab", "//% skip\n1 + 1", env, dir);
    return [
      {
        name: "kernel.startup_to_kernel_info",
        value: stepCell.startup_ms,
        unit: "ms",
        target: STARTUP_TARGET_MS,
        ok: stepCell.startup_ms <= STARTUP_TARGET_MS,
      },
      {
        name: "kernel.cell_round_trip_median",
        value: stepCell.median_ms,
        unit: "ms",
        target: ipy.median_ms,
        ok: stepCell.median_ms <= ipy.median_ms,
      },
      {
        name: "kernel.artifact_cell_round_trip_median",
        value: artifactCell.median_ms,
        unit: "ms",
        target: ipy.median_ms,
        ok: artifactCell.median_ms <= ipy.median_ms,
      },
      {
        name: "kernel.skip_cell_round_trip_median",
        value: skipCell.median_ms,
        unit: "ms",
        target: ipy.median_ms,
        ok: skipCell.median_ms <= ipy.median_ms,
      },
      // The reference the two above are held to, measured in this run.
      { name: "ipykernel.cell_round_trip_median", value: ipy.median_ms, unit: "ms", target: ipy.median_ms },
      { name: "ipykernel.startup_to_kernel_info", value: ipy.startup_ms, unit: "ms", target: STARTUP_TARGET_MS },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
