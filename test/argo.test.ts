/**
 * `steplab FLOW.ts argo-workflows create --dry-run`: the WorkflowTemplate a Kubernetes user would
 * deploy, checked against Argo Workflows' published JSON schema (test/data, a copy of
 * argoproj/argo-workflows api/jsonschema/schema.json) and against what Argo's controller needs
 * beyond the schema: names it accepts, and references to templates and tasks that exist.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../cli/main.js";
import type { CliIO } from "../cli/io.js";
import { parseFlowFile } from "../runtime/graph/index.js";
import type { ArgoDagTask, ArgoTemplate, ArgoWorkflowTemplate } from "../runtime/argo/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FLOWS = path.join(ROOT, "test", "fixtures", "flows");
const SCHEMA_FILE = path.join(ROOT, "test", "data", "argo-workflows-schema.json");
const WORKFLOW_TEMPLATE = "io.argoproj.workflow.v1alpha1.WorkflowTemplate";
const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
/** Argo's rule for template and DAG task names. */
const ARGO_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;

type Schema = { definitions: Record<string, Record<string, unknown>> } & Record<string, unknown>;

function loadSchema(): Schema {
  return JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Schema;
}

/** The published schema types int-or-string fields as string only (argo-workflows #6060). */
function widenIntOrString(schema: Schema): Schema {
  schema.definitions[INT_OR_STRING] = { type: ["string", "integer"] };
  return schema;
}

/** The schema allows unknown fields everywhere; Argo drops them silently, so a typo would pass. */
function forbidUnknownFields(schema: Schema): Schema {
  for (const def of Object.values(schema.definitions)) {
    if (def.type === "object" && def.properties && def.additionalProperties === undefined) def.additionalProperties = false;
  }
  return schema;
}

function compile(schema: Schema): ValidateFunction {
  // strict: false because the schema carries Kubernetes' x-kubernetes-* annotations.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

function only(schema: Schema, definition: string): Schema {
  return { $schema: schema.$schema, definitions: schema.definitions, $ref: `#/definitions/${definition}` };
}

const published = compile(widenIntOrString(loadSchema()));
const strict = compile(only(forbidUnknownFields(widenIntOrString(loadSchema())), WORKFLOW_TEMPLATE));

function errorsOf(validate: ValidateFunction, value: unknown): string {
  return validate(value) ? "" : JSON.stringify(validate.errors?.slice(0, 5), null, 1);
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function steplab(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd,
    isTTY: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const fixture = (name: string): string => path.join(FLOWS, `${name}.ts`);

async function create(name: string, ...extra: string[]): Promise<{ wt: ArgoWorkflowTemplate; result: Result }> {
  const result = await steplab([fixture(name), "argo-workflows", "create", "--dry-run", ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return { wt: parse(result.stdout) as ArgoWorkflowTemplate, result };
}

const template = (wt: ArgoWorkflowTemplate, name: string): ArgoTemplate => {
  const t = wt.spec.templates.find((x) => x.name === name);
  if (!t) throw new Error(`no template ${name} in ${wt.spec.templates.map((x) => x.name).join(", ")}`);
  return t;
};

const task = (t: ArgoTemplate, name: string): ArgoDagTask => {
  const found = t.dag?.tasks.find((x) => x.name === name);
  if (!found) throw new Error(`no task ${name} in DAG ${t.name}`);
  return found;
};

const argument = (t: ArgoDagTask, name: string): string | undefined => t.arguments?.parameters.find((p) => p.name === name)?.value;

/** What Argo's controller checks beyond the schema: names, and that every reference resolves. */
function checkReferences(wt: ArgoWorkflowTemplate): void {
  const names = wt.spec.templates.map((t) => t.name);
  expect(new Set(names).size, "template names are unique").toBe(names.length);
  expect(names).toContain(wt.spec.entrypoint);
  for (const t of wt.spec.templates) {
    expect(t.name).toMatch(ARGO_NAME);
    if (!t.dag) continue;
    const tasks = new Map(t.dag.tasks.map((x) => [x.name, x]));
    expect(tasks.size, `task names in ${t.name} are unique`).toBe(t.dag.tasks.length);
    const upstream = (name: string, seen = new Set<string>()): Set<string> => {
      for (const dep of tasks.get(name)?.dependencies ?? []) if (!seen.has(dep)) upstream(dep, seen.add(dep));
      return seen;
    };
    for (const x of t.dag.tasks) {
      expect(x.name).toMatch(ARGO_NAME);
      expect(names, `task ${x.name} calls an existing template`).toContain(x.template);
      for (const dep of x.dependencies ?? []) expect(tasks.has(dep), `${t.name}: ${x.name} depends on ${dep}`).toBe(true);
      // A task may only read outputs of tasks that finished before it: its (transitive) dependencies.
      const text = JSON.stringify([x.arguments, x.withParam]);
      for (const [, ref] of text.matchAll(/\{\{tasks\.([-a-zA-Z0-9]+)\.outputs/g)) {
        expect(upstream(x.name).has(ref!), `${t.name}: ${x.name} reads outputs of ${ref}, not upstream`).toBe(true);
      }
      const called = wt.spec.templates.find((c) => c.name === x.template)!;
      const wanted = (called.inputs?.parameters ?? []).map((p) => p.name).sort();
      const given = (x.arguments?.parameters ?? []).map((p) => p.name).sort();
      expect(given, `${t.name}: ${x.name} passes the inputs of ${called.name}`).toEqual(wanted);
    }
    for (const out of t.outputs?.parameters ?? []) {
      const ref = /\{\{tasks\.([-a-zA-Z0-9]+)\./.exec(out.valueFrom?.parameter ?? "")?.[1];
      expect(ref && tasks.has(ref), `output ${out.name} of ${t.name} reads a task of its DAG`).toBe(true);
    }
  }
}

const FIXTURES = ["hello-world", "counter-branch", "foreach", "nested-foreach"];

describe("argo-workflows create --dry-run", () => {
  it.each(FIXTURES)("%s: a WorkflowTemplate that Argo's schema accepts, with one container template per step", async (name) => {
    const { wt } = await create(name, "--max-workers", "7");
    expect(errorsOf(published, wt)).toBe("");
    expect(errorsOf(strict, wt)).toBe("");
    expect(wt.kind).toBe("WorkflowTemplate");
    expect(wt.spec.parallelism).toBe(7);
    checkReferences(wt);

    const graph = parseFlowFile(fixture(name));
    const containers = wt.spec.templates.filter((t) => t.container);
    expect(containers.map((t) => t.name).sort()).toEqual(graph.steps.map((s) => s.name.replace(/_/g, "-")).sort());
    for (const s of graph.steps) {
      const c = template(wt, s.name.replace(/_/g, "-")).container!;
      expect(c.image).toBe("steplab:latest");
      expect([...c.command, ...c.args].join(" ")).toContain(
        `npx steplab test/fixtures/flows/${name}.ts step ${s.name} --run-id argo-{{workflow.name}}`,
      );
    }
  });

  it("hello-world: a chain of steps, each waiting for the one before and reading its task", async () => {
    const { wt } = await create("hello-world");
    expect(wt.metadata.name).toBe("helloflow");
    const dag = template(wt, wt.spec.entrypoint);
    expect(dag.dag!.tasks.map((t) => [t.name, t.dependencies ?? []])).toEqual([
      ["start", []],
      ["hello", ["start"]],
      ["end", ["hello"]],
    ]);
    expect(argument(task(dag, "end"), "input-paths")).toBe("hello/{{tasks.hello.outputs.parameters.task-id}}");
    expect(template(wt, "start").outputs!.parameters).toEqual([{ name: "task-id", valueFrom: { path: "/tmp/steplab/task-id" } }]);
    expect(wt.spec.arguments).toBeUndefined();
  });

  it("foreach: the body fans out with withParam over the foreach step's output; the join waits for all of it", async () => {
    const { wt } = await create("foreach");
    const dag = template(wt, wt.spec.entrypoint);
    const analyze = task(dag, "analyze");
    expect(analyze.withParam).toBe("{{tasks.start.outputs.parameters.split-indices}}");
    expect(analyze.dependencies).toEqual(["start"]);
    expect(argument(analyze, "split-index")).toBe("{{item}}");
    expect(template(wt, "start").outputs!.parameters.map((p) => p.name)).toEqual(["task-id", "split-indices"]);
    expect(template(wt, "analyze").container!.args).toEqual(expect.arrayContaining(["--split-index", "{{inputs.parameters.split-index}}"]));
    const pick = task(dag, "pick");
    expect(pick.dependencies).toEqual(["analyze"]);
    expect(pick.withParam).toBeUndefined();
    expect(argument(pick, "input-paths")).toBe("analyze/:{{tasks.analyze.outputs.parameters}}");
  });

  it("nested-foreach: a foreach body of several steps is its own DAG, called once per item", async () => {
    const { wt } = await create("nested-foreach");
    const main = template(wt, wt.spec.entrypoint);
    expect(main.dag!.tasks.map((t) => t.name)).toEqual(["start", "outer-foreach", "join-outer", "end"]);
    const outerFanOut = task(main, "outer-foreach");
    expect(outerFanOut.withParam).toBe("{{tasks.start.outputs.parameters.split-indices}}");
    expect(task(main, "join-outer").dependencies).toEqual(["outer-foreach"]);
    expect(argument(task(main, "join-outer"), "input-paths")).toBe("join_inner/:{{tasks.outer-foreach.outputs.parameters}}");

    const body = template(wt, "outer-foreach");
    expect(body.inputs!.parameters.map((p) => p.name)).toEqual(["input-paths", "split-index"]);
    expect(body.dag!.tasks.map((t) => [t.name, t.dependencies ?? []])).toEqual([
      ["outer", []],
      ["inner", ["outer"]],
      ["join-inner", ["inner"]],
    ]);
    expect(argument(task(body, "outer"), "split-index")).toBe("{{inputs.parameters.split-index}}");
    expect(task(body, "inner").withParam).toBe("{{tasks.outer.outputs.parameters.split-indices}}");
    // The join outside reads the task that ends each item's body.
    expect(body.outputs!.parameters).toEqual([
      { name: "task-id", valueFrom: { parameter: "{{tasks.join-inner.outputs.parameters.task-id}}" } },
    ]);
  });

  it("counter-branch: the join depends on every branch; retries, memory, timeout and parameters carry over", async () => {
    const { wt, result } = await create("counter-branch");
    const dag = template(wt, wt.spec.entrypoint);
    const join = task(dag, "join");
    expect(join.dependencies).toEqual(["add-one", "add-two"]);
    expect(argument(join, "input-paths")).toBe(
      "add_one/{{tasks.add-one.outputs.parameters.task-id}},add_two/{{tasks.add-two.outputs.parameters.task-id}}",
    );

    const addOne = template(wt, "add-one"); // @step({ ..., retries: 2, memoryMb: 512, timeoutSeconds: 10 })
    expect(addOne.retryStrategy).toEqual({ limit: 2, retryPolicy: "Always" });
    expect(addOne.container!.args).toEqual(expect.arrayContaining(["--retry-count", "{{retries}}"]));
    expect(addOne.container!.resources).toEqual({ requests: { memory: "512Mi" } });
    expect(addOne.activeDeadlineSeconds).toBeGreaterThanOrEqual(10);
    expect(template(wt, "add-two").retryStrategy).toBeUndefined();
    expect(template(wt, "add-two").container!.args).not.toContain("{{retries}}");

    const params = Object.fromEntries(wt.spec.arguments!.parameters.map((p) => [p.name, p]));
    expect(params.creature).toEqual({ name: "creature", value: "dog", description: "Specify an animal" });
    expect(params.times!.value).toBe("-3");
    expect(params.verbose!.value).toBe("false");
    expect(JSON.parse(params.config!.value!)).toEqual({ depth: 2, tags: ["a", "b"] });
    expect(params.weights!.value).toBe("[0.5,0.25]");
    expect(params.seed!.value).toBeUndefined(); // required: given when submitting
    // A computed default (Date.now()) is evaluated when the template is written, as Metaflow deploys.
    const started = Number(params.started!.value);
    expect(Math.abs(Date.now() - started)).toBeLessThan(10 * 60_000);
    expect(result.stderr).toContain(`parameter 'started' has a computed default: its value now, ${started}`);
    const startArgs = template(wt, "start").container!.args;
    for (const name of Object.keys(params)) expect(startArgs).toContain(`--${name}={{workflow.parameters.${name}}}`);
    expect(template(wt, "end").container!.args.join(" ")).not.toContain("workflow.parameters");
  });

  it("parallelism defaults to run's --max-workers default, and follows STEPLAB_RUN_MAX_WORKERS", async () => {
    expect((await create("hello-world")).wt.spec.parallelism).toBe(16);
    const viaEnv = await steplab([fixture("hello-world"), "argo-workflows", "create", "--dry-run"], { STEPLAB_RUN_MAX_WORKERS: "3" });
    expect((parse(viaEnv.stdout) as ArgoWorkflowTemplate).spec.parallelism).toBe(3);
    const bad = await steplab([fixture("hello-world"), "argo-workflows", "create", "--dry-run", "--max-workers", "0"]);
    expect(bad.code).toBe(2);
  });

  it("image, datastore, secrets, name and namespace options reach the template", async () => {
    const { wt, result } = await create(
      "foreach",
      ...["--image", "registry.example/team/flows:1.2", "--datastore-root", "s3://bucket/steplab"],
      ...["--secret", "steplab-s3", "--secret", "steplab-db", "--name", "foreach-prod", "--namespace", "ml"],
    );
    expect(errorsOf(strict, wt)).toBe("");
    expect(wt.metadata).toMatchObject({ name: "foreach-prod", namespace: "ml" });
    for (const t of wt.spec.templates.filter((x) => x.container)) {
      expect(t.container!.image).toBe("registry.example/team/flows:1.2");
      expect(t.container!.env).toEqual([{ name: "STEPLAB_DATASTORE", value: "s3://bucket/steplab" }]);
      expect(t.container!.envFrom).toEqual([{ secretRef: { name: "steplab-s3" } }, { secretRef: { name: "steplab-db" } }]);
    }
    expect(result.stderr).not.toContain("no shared datastore");
  });

  it("--tag reaches the start step, which creates the run", async () => {
    const { wt } = await create("counter-branch", "--tag", "prod", "--tag", "nightly");
    expect(template(wt, "start").container!.args).toEqual(expect.arrayContaining(["--tag", "prod", "--tag", "nightly"]));
    expect(template(wt, "join").container!.args).not.toContain("--tag");
  });

  it("without a shared datastore it still writes the template, and says why the pods need one", async () => {
    const { result } = await create("hello-world");
    expect(result.stderr).toContain("--datastore-root s3://");
    const local = await steplab([fixture("hello-world"), "argo-workflows", "create", "--dry-run", "--datastore-root", "/data/store"]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("not an s3:// URL");
    const fromEnv = await steplab([fixture("hello-world"), "argo-workflows", "create", "--dry-run"], { STEPLAB_DATASTORE: "s3://b/p" });
    const container = template(parse(fromEnv.stdout) as ArgoWorkflowTemplate, "start").container!;
    expect(container.env).toEqual([{ name: "STEPLAB_DATASTORE", value: "s3://b/p" }]);
  });

  describe("files", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "steplab-argo-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("--output FILE writes the YAML there instead of standard output", async () => {
      const out = path.join(dir, "foreach.yaml");
      const result = await steplab([fixture("foreach"), "argo-workflows", "create", "--dry-run", "--output", out]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`to ${out}`);
      const text = readFileSync(out, "utf8");
      expect(text.startsWith("# Argo Workflows WorkflowTemplate for ForeachFlow")).toBe(true);
      expect(errorsOf(strict, parse(text))).toBe("");
    });

    it("a flow that fails lint gets no template (exit 1)", async () => {
      const flow = path.join(dir, "broken.ts");
      writeFileSync(
        flow,
        `import { FlowSpec, step, type Inputs } from "steplab";\nexport class BrokenFlow extends FlowSpec {\n` +
          `  @step start() { this.next(this.end); }\n  @step end(inputs: Inputs<BrokenFlow>) {}\n}\n`,
      );
      const result = await steplab([flow, "argo-workflows", "create", "--dry-run"], {}, dir);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("broken.ts:");
    });
  });

  it("without --dry-run it deploys nothing, says how to deploy, and exits 2", async () => {
    const result = await steplab([fixture("hello-world"), "argo-workflows", "create"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("--dry-run");
    expect(result.stderr).toMatch(/kubectl|argo CLI/);
    expect(result.stderr).toContain("argo template create");
  });

  it("other argo-workflows commands and unknown options are usage errors", async () => {
    const trigger = await steplab([fixture("hello-world"), "argo-workflows", "trigger"]);
    expect(trigger.code).toBe(2);
    expect(trigger.stderr).toContain("Commands: create");
    const option = await steplab([fixture("hello-world"), "argo-workflows", "create", "--dry-run", "--replicas", "3"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--replicas");
  });
});

describe("the schema check", () => {
  it("rejects what Argo would reject: wrong types and misspelled fields", async () => {
    const { wt } = await create("counter-branch");
    const typo = structuredClone(wt) as unknown as { spec: { templates: Record<string, unknown>[] } };
    const addOne = typo.spec.templates.find((t) => t.name === "add-one")!;
    addOne.retryStrategy = { limt: 2 };
    expect(errorsOf(strict, typo)).toContain("limt");
    const wrongType = structuredClone(wt) as unknown as { spec: Record<string, unknown> };
    wrongType.spec.parallelism = "seven";
    expect(errorsOf(published, wrongType)).not.toBe("");
  });

  it("needs int-or-string widened: the published schema alone rejects an integer retry limit", async () => {
    const { wt } = await create("counter-branch");
    const asPublished = compile(only(loadSchema(), WORKFLOW_TEMPLATE));
    expect(errorsOf(asPublished, wt)).toContain("retryStrategy/limit");
  });
});
