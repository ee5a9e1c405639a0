/**
 * Metaflow's client objects over a StoreReader: Steplab -> Flow -> Run -> Step -> Task -> DataArtifact.
 * Everything is synchronous (LMDB reads are local) and lazy: artifacts load when `.data` is read.
 */
// store/portable, not store/index: the client runs inside isolates too, without LMDB.
import { fromEnvelopes, taskPathspec, type ArtifactRef, type RunRecord, type TaskRecord } from "../../store/portable.js";
import { ClientNotFoundError, nearby } from "./errors.js";
import { getNamespace, inNamespace, NamespaceMismatchError, owners } from "./namespace.js";
import { currentReader, type StoreReader } from "./reader.js";
import { callableList, type CallableList } from "./run-list.js";

function splitPath(pathspec: string, parts: number, kind: string): string[] {
  const segments = pathspec.split("/");
  if (segments.length !== parts || segments.some((s) => s === "")) {
    const shape = ["Flow", "run", "step", "task"].slice(0, parts).join("/");
    throw new ClientNotFoundError(`'${pathspec}' is not a ${kind} pathspec: write it as ${shape}`);
  }
  return segments;
}

/** Throws unless the run is in the namespace in use (objects reached by iteration already are). */
function checkNamespace(what: string, run: RunRecord): void {
  const ns = getNamespace();
  if (!inNamespace(run.tags, ns)) throw new NamespaceMismatchError(what, ns!, owners(run.tags));
}

/** Names that libraries probe on any object (promises, JSON, test matchers): not artifact reads. */
const PROBED = new Set(["then", "toJSON", "constructor", "asymmetricMatch", "$$typeof", "nodeType", "inspect"]);

export class DataArtifact {
  constructor(
    readonly task: Task,
    readonly name: string,
    private readonly ref: ArtifactRef,
  ) {}
  get sha(): string {
    return this.ref.sha;
  }
  get size(): number {
    return this.ref.size;
  }
  get type(): string {
    return this.ref.type;
  }
  get pathspec(): string {
    return `${this.task.pathspec}/${this.name}`;
  }
  get data(): unknown {
    return fromEnvelopes(this.task.reader.loadBlob(this.ref.sha), { subject: `Artifact '${this.name}' of ${this.task.pathspec}` });
  }
  toString(): string {
    return `DataArtifact('${this.pathspec}')`;
  }
}

export class Task {
  readonly pathspec: string;
  readonly id: string;
  private _record?: TaskRecord;
  constructor(
    pathspecOrRecord: string | TaskRecord,
    readonly reader: StoreReader = currentReader(),
  ) {
    if (typeof pathspecOrRecord === "string") {
      const [flow, run, step, task] = splitPath(pathspecOrRecord, 4, "task");
      const record = reader.getTask(flow!, run!, step!, task!);
      if (!record) {
        const tasks = reader.listTasks(flow!, run!, step!).map((t) => t.taskId);
        if (tasks.length === 0) new Step(`${flow}/${run}/${step}`, reader); // throws the step's own error
        throw new ClientNotFoundError(`Task '${pathspecOrRecord}' does not exist. ${nearby(`tasks of ${flow}/${run}/${step}`, tasks)}`);
      }
      const runRecord = reader.getRun(flow!, run!);
      if (runRecord) checkNamespace(`Task '${pathspecOrRecord}'`, runRecord);
      this._record = record;
    } else {
      this._record = pathspecOrRecord;
    }
    const r = this._record;
    this.pathspec = taskPathspec(r);
    this.id = r.taskId;
  }
  get record(): TaskRecord {
    return this._record!;
  }
  get stepName(): string {
    return this.record.step;
  }
  get successful(): boolean {
    return this.record.status === "succeeded";
  }
  get finished(): boolean {
    return this.record.status !== "running";
  }
  get exception(): { name: string; message: string; stack?: string } | undefined {
    return this.record.error;
  }
  get index(): number | undefined {
    const top = this.record.stack.at(-1);
    return top?.kind === "foreach" ? top.index : undefined;
  }
  get createdAt(): Date {
    return new Date(this.record.startedAt);
  }
  get finishedAt(): Date | undefined {
    return this.record.finishedAt === undefined ? undefined : new Date(this.record.finishedAt);
  }
  get originPathspec(): string | undefined {
    return this.record.originPathspec;
  }
  /** Set when `run --cache` reused an earlier task's results instead of running this one: that task's pathspec. */
  get reusedFrom(): string | undefined {
    return this.record.reusedFrom;
  }
  /** The attempt that made this record, from 0 (the one that won, for a task that was retried). */
  get attempt(): number {
    return this.record.attempt;
  }
  get currentAttempt(): number {
    return this.record.attempt;
  }
  get stdout(): string {
    const r = this.record;
    return this.reader.getLogs(r.flow, r.runId, r.step, r.taskId)?.stdout ?? "";
  }
  get stderr(): string {
    const r = this.record;
    return this.reader.getLogs(r.flow, r.runId, r.step, r.taskId)?.stderr ?? "";
  }
  /** What the task displayed (display() in its step or cell), as MIME bundles, in order. */
  get displays(): { data: Record<string, unknown>; metadata?: Record<string, unknown> }[] {
    const ref = this.record.displays;
    return ref ? (this.reader.loadBlob(ref.sha) as { data: Record<string, unknown>; metadata?: Record<string, unknown> }[]) : [];
  }
  get artifacts(): DataArtifact[] {
    return Object.entries(this.record.artifacts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, ref]) => new DataArtifact(this, name, ref));
  }
  artifact(name: string): DataArtifact {
    const ref = this.record.artifacts[name];
    if (!ref)
      throw new ClientNotFoundError(
        `Task '${this.pathspec}' has no artifact '${name}'. ${nearby("artifacts", Object.keys(this.record.artifacts).sort())}`,
      );
    return new DataArtifact(this, name, ref);
  }
  private readonly loaded = new Map<string, unknown>();
  /** `task.data.NAME` loads only the artifacts read, each once. */
  get data(): Record<string, any> {
    const task = this;
    return new Proxy({} as Record<string, any>, {
      get(_t, key) {
        if (typeof key !== "string" || (PROBED.has(key) && !(key in task.record.artifacts))) return undefined;
        if (!task.loaded.has(key)) task.loaded.set(key, task.artifact(key).data);
        return task.loaded.get(key);
      },
      has: (_t, key) => typeof key === "string" && key in task.record.artifacts,
      ownKeys: () => Object.keys(task.record.artifacts),
      getOwnPropertyDescriptor: (_t, key) =>
        typeof key === "string" && key in task.record.artifacts ? { enumerable: true, configurable: true } : undefined,
    });
  }
  get parentTasks(): string[] {
    const r = this.record;
    const byId = new Map(this.reader.listRunTasks(r.flow, r.runId).map((t) => [t.taskId, t.step]));
    return r.inputs.map((id) => `${r.flow}/${r.runId}/${byId.get(id) ?? "?"}/${id}`);
  }
  toString(): string {
    return `Task('${this.pathspec}')`;
  }
}

export class Step implements Iterable<Task> {
  readonly pathspec: string;
  readonly id: string;
  readonly flowName: string;
  readonly runId: string;
  constructor(
    pathspec: string,
    readonly reader: StoreReader = currentReader(),
  ) {
    const [flow, run, step] = splitPath(pathspec, 3, "step");
    const steps = reader.listSteps(flow!, run!);
    if (!steps.includes(step!)) {
      if (!reader.getRun(flow!, run!)) new Run(`${flow}/${run}`, reader); // throws the run's own error
      throw new ClientNotFoundError(`Step '${pathspec}' does not exist. ${nearby(`steps of ${flow}/${run}`, steps)}`);
    }
    const runRecord = reader.getRun(flow!, run!);
    if (runRecord) checkNamespace(`Step '${pathspec}'`, runRecord);
    this.pathspec = pathspec;
    this.flowName = flow!;
    this.runId = run!;
    this.id = step!;
  }
  get tasks(): Task[] {
    return this.reader.listTasks(this.flowName, this.runId, this.id).map((t) => new Task(t, this.reader));
  }
  /** The step's task (the first one, for a foreach step). */
  get task(): Task {
    const first = this.tasks[0];
    if (!first) throw new ClientNotFoundError(`Step '${this.pathspec}' has no tasks`);
    return first;
  }
  [Symbol.iterator](): Iterator<Task> {
    return this.tasks[Symbol.iterator]();
  }
  get createdAt(): Date | undefined {
    const starts = this.tasks.map((t) => t.record.startedAt);
    return starts.length ? new Date(Math.min(...starts)) : undefined;
  }
  get finishedAt(): Date | undefined {
    const ends = this.tasks.map((t) => t.record.finishedAt ?? 0);
    return ends.length ? new Date(Math.max(...ends)) : undefined;
  }
  toString(): string {
    return `Step('${this.pathspec}')`;
  }
}

export class Run implements Iterable<Step> {
  readonly pathspec: string;
  readonly id: string;
  readonly flowName: string;
  private readonly _record: RunRecord;
  constructor(
    pathspecOrRecord: string | RunRecord,
    readonly reader: StoreReader = currentReader(),
  ) {
    if (typeof pathspecOrRecord === "string") {
      const [flow, run] = splitPath(pathspecOrRecord, 2, "run");
      const record = reader.getRun(flow!, run!);
      if (!record) {
        const runs = reader.listRuns(flow!).map((r) => r.runId);
        if (runs.length === 0) new Flow(flow!, reader); // throws the flow's own error
        throw new ClientNotFoundError(`Run '${pathspecOrRecord}' does not exist. ${nearby(`runs of ${flow} (newest first)`, runs)}`);
      }
      checkNamespace(`Run '${pathspecOrRecord}'`, record);
      this._record = record;
    } else {
      this._record = pathspecOrRecord;
    }
    this.flowName = this._record.flow;
    this.id = this._record.runId;
    this.pathspec = `${this.flowName}/${this.id}`;
  }
  get record(): RunRecord {
    // Re-read: a run may still be going on in another process.
    return this.reader.getRun(this.flowName, this.id) ?? this._record;
  }
  /** "running", "succeeded", "failed", or "killed" (stopped by a signal, or its process is gone). */
  get status(): RunRecord["status"] {
    return this.record.status;
  }
  get successful(): boolean {
    return this.record.status === "succeeded";
  }
  /** Whether the run has ended, whatever its outcome (a killed run has). */
  get finished(): boolean {
    return this.record.status !== "running";
  }
  get tags(): string[] {
    return [...this.record.tags];
  }
  get createdAt(): Date {
    return new Date(this.record.createdAt);
  }
  get finishedAt(): Date | undefined {
    const at = this.record.finishedAt;
    return at === undefined ? undefined : new Date(at);
  }
  get originPathspec(): string | undefined {
    const origin = this.record.originRunId;
    return origin ? `${this.flowName}/${origin}` : undefined;
  }
  get parameters(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(this.record.parameters)) {
      out[name] = fromEnvelopes(this.reader.loadBlob(ref.sha), { subject: `Parameter '${name}' of ${this.pathspec}` });
    }
    return out;
  }
  get steps(): Step[] {
    return this.reader.listSteps(this.flowName, this.id).map((s) => new Step(`${this.pathspec}/${s}`, this.reader));
  }
  [Symbol.iterator](): Iterator<Step> {
    return this.steps[Symbol.iterator]();
  }
  step(name: string): Step {
    return new Step(`${this.pathspec}/${name}`, this.reader);
  }
  get(name: string): Step {
    return this.step(name);
  }
  has(name: string): boolean {
    return this.reader.listSteps(this.flowName, this.id).includes(name);
  }
  get endTask(): Task | undefined {
    return this.has("end") ? this.step("end").task : undefined;
  }
  /** The end task's data, as Metaflow's `run.data`. */
  get data(): Record<string, any> | undefined {
    return this.endTask?.data;
  }
  toString(): string {
    return `Run('${this.pathspec}')`;
  }
}

/** The runs of a flow in the namespace in use, newest first. */
function runsInNamespace(flow: string, reader: StoreReader): RunRecord[] {
  const ns = getNamespace();
  return reader.listRuns(flow).filter((r) => inNamespace(r.tags, ns));
}

export class Flow {
  readonly pathspec: string;
  readonly id: string;
  constructor(
    readonly name: string,
    readonly reader: StoreReader = currentReader(),
  ) {
    if (!reader.listFlows().includes(name)) {
      throw new ClientNotFoundError(`Flow '${name}' does not exist. ${nearby("flows", reader.listFlows())}`);
    }
    const ns = getNamespace();
    if (ns !== null && runsInNamespace(name, reader).length === 0) {
      throw new NamespaceMismatchError(
        `Flow '${name}'`,
        ns,
        reader.listRuns(name).flatMap((r) => owners(r.tags)),
      );
    }
    this.pathspec = name;
    this.id = name;
  }
  /**
   * Runs in the namespace in use, newest first; `flow.runs("tag", ...)` gives only those carrying
   * every tag (Metaflow's `runs(*tags)`).
   */
  get runs(): CallableList<Run> {
    return callableList(this.#runs(), (...tags) => this.#runs(tags));
  }
  #runs(tags: readonly string[] = []): Run[] {
    return runsInNamespace(this.name, this.reader)
      .filter((r) => tags.every((t) => r.tags.includes(t)))
      .map((r) => new Run(r, this.reader));
  }
  /** Same as `runs(...tags)`. */
  runsTagged(...tags: string[]): Run[] {
    return this.#runs(tags);
  }
  get latestRun(): Run | undefined {
    return this.#runs()[0];
  }
  /** The newest successful run of the whole flow: a `spin --persist` scratch run (one task, tagged spin) is not one. */
  get latestSuccessfulRun(): Run | undefined {
    return this.#runs().find((r) => r.successful && !r.tags.includes("spin"));
  }
  [Symbol.iterator](): Iterator<Run> {
    return this.#runs()[Symbol.iterator]();
  }
  toString(): string {
    return `Flow('${this.name}')`;
  }
}

export class SteplabClient {
  constructor(readonly reader: StoreReader = currentReader()) {}
  /** Flows with at least one run in the namespace in use. */
  get flows(): Flow[] {
    return this.reader
      .listFlows()
      .filter((f) => runsInNamespace(f, this.reader).length > 0)
      .map((f) => new Flow(f, this.reader));
  }
  [Symbol.iterator](): Iterator<Flow> {
    return this.flows[Symbol.iterator]();
  }
}
