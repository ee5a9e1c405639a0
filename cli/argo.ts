/**
 * `steplab FLOW.ts argo-workflows create --dry-run`: the flow as an Argo Workflows WorkflowTemplate,
 * as YAML on stdout or in --output FILE. Metaflow's `create` also deploys; steplab drives no
 * cluster, so without --dry-run it says how to deploy the YAML instead (exit 2).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildWorkflowTemplate, checkTemplateName, DEFAULT_IMAGE, templateName, workflowTemplateYaml } from "../runtime/argo/index.js";
import { UsageError } from "../errors/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { evaluateDefaults, hasComputedDefaults } from "../runtime/parameters/index.js";
import { resolveStoreRoot } from "../store/index.js";
import { DEFAULT_MAX_WORKERS } from "../runtime/scheduler/index.js";
import { EXIT, type CliIO } from "./io.js";
import { integerOption, parseOptions, single, type OptionSpec } from "./options.js";
import { lintPasses } from "./validate.js";
import { VERSION } from "./version.js";

export const ARGO_OPTIONS: OptionSpec[] = [
  { name: "dry-run", kind: "flag", help: "Write the WorkflowTemplate without deploying it (required: steplab deploys nothing)" },
  { name: "output", kind: "value", help: "Write the YAML to this file (default: standard output)" },
  { name: "image", kind: "value", help: `Image with node, steplab and this project in its working directory (default ${DEFAULT_IMAGE})` },
  { name: "max-workers", kind: "value", help: `At most this many pods at once: spec.parallelism (default ${DEFAULT_MAX_WORKERS})` },
  { name: "datastore-root", kind: "value", help: "The shared datastore, s3://BUCKET/PREFIX (default: STEPLAB_DATASTORE when it is s3://)" },
  { name: "secret", kind: "value", repeatable: true, help: "Kubernetes secret whose keys become the steps' environment (repeatable)" },
  { name: "name", kind: "value", help: "The WorkflowTemplate's name (default: the flow's name in lower case)" },
  { name: "namespace", kind: "value", help: "The WorkflowTemplate's namespace" },
  { name: "tag", kind: "value", repeatable: true, help: "Tag every run of the template (repeatable)" },
];

const NOT_DEPLOYED =
  "steplab does not deploy to Argo Workflows: that needs kubectl or the argo CLI and a cluster, which steplab does not drive.\n" +
  "Write the WorkflowTemplate with --dry-run (e.g. --dry-run --output flow.yaml), then deploy it yourself:\n" +
  "  argo template create flow.yaml      (or: kubectl apply -f flow.yaml)\n" +
  "  argo submit --from workflowtemplate/NAME [-p PARAM=VALUE ...]\n";

function datastoreRoot(given: string | undefined, io: CliIO): string | undefined {
  if (given !== undefined) {
    if (!given.startsWith("s3://")) {
      throw new UsageError(
        `Invalid value for --datastore-root: '${given}' is not an s3:// URL; pods share artifacts only through S3 ` +
          "(a local or network-mounted LMDB datastore cannot be shared)",
      );
    }
    return given;
  }
  const env = io.env.STEPLAB_DATASTORE;
  return env?.startsWith("s3://") ? env : undefined;
}

export async function argoCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "create") {
    throw new UsageError(
      sub === undefined
        ? "argo-workflows needs a command: argo-workflows create --dry-run [--output FILE]"
        : `No such argo-workflows command '${sub}'. Commands: create`,
    );
  }
  const parsed = parseOptions(rest, ARGO_OPTIONS, "argo-workflows create");
  if (parsed.positionals.length) throw new UsageError(`argo-workflows create takes no arguments, got '${parsed.positionals.join(" ")}'`);
  const maxWorkers = integerOption(single(parsed, "max-workers") ?? io.env.STEPLAB_RUN_MAX_WORKERS, "max-workers", DEFAULT_MAX_WORKERS);
  const name = checkTemplateName(single(parsed, "name") ?? templateName(graph.name));
  const root = datastoreRoot(single(parsed, "datastore-root"), io);
  if (!parsed.values.has("dry-run")) {
    io.stderr(`Error: ${NOT_DEPLOYED}`);
    return EXIT.usage;
  }

  if (!lintPasses(graph, io)) return EXIT.failed;
  // The container runs from the project's root, as this command does here.
  const flowFile = path.relative(io.cwd, graph.file).split(path.sep).join("/") || path.basename(graph.file);
  const image = single(parsed, "image") ?? DEFAULT_IMAGE;
  // As Metaflow evaluates a deployment's defaults when it deploys: by loading the flow, here and now.
  const computedDefaults = hasComputedDefaults(graph)
    ? await evaluateDefaults(graph, { storeRoot: resolveStoreRoot(io.cwd, io.env), output: (_stream, text) => io.stderr(text) })
    : undefined;
  const { template, notes } = buildWorkflowTemplate(graph, {
    computedDefaults,
    flowFile,
    image,
    maxWorkers,
    name,
    namespace: single(parsed, "namespace"),
    datastoreRoot: root,
    secrets: parsed.values.get("secret") ?? [],
    tags: parsed.values.get("tag") ?? [],
    version: VERSION,
  });
  for (const note of notes) io.stderr(`Warning: ${note}\n`);

  const output = single(parsed, "output");
  const header =
    `Argo Workflows WorkflowTemplate for ${graph.name} (${flowFile}), written by steplab ${VERSION}.\n` +
    `Each step runs \`npx steplab ${flowFile} step STEP ...\` in ${image}.\n` +
    `Deploy: argo template create ${output ?? "FILE"}    Run: argo submit --from workflowtemplate/${name}`;
  const yaml = workflowTemplateYaml(template, header);
  if (output === undefined) {
    io.stdout(yaml);
  } else {
    writeFileSync(path.resolve(io.cwd, output), yaml);
    io.stderr(`Wrote WorkflowTemplate ${name} for ${graph.name} to ${output}\n`);
  }
  return EXIT.ok;
}
