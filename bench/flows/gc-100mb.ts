import { FlowSpec, step } from "steplab";

/** One run of 100 MB of its own (random, so it neither compresses nor deduplicates), for bench/gc.bench.mjs. */
export class Gc100MbFlow extends FlowSpec {
  declare data: Float64Array;
  declare label: string;

  @step start() {
    const data = new Float64Array(100_000_000 / 8);
    for (let i = 0; i < data.length; i++) data[i] = Math.random();
    this.data = data;
    this.next(this.end);
  }

  @step end() {
    this.label = `first value ${this.data[0]}`;
  }
}
