import { FlowSpec, step } from "steplab";

/** start writes a 100 MB Float64Array; read loads it back in the next task. */
export class BigArtifactFlow extends FlowSpec {
  declare big: Float64Array;
  declare generateMs: number;
  declare sum: number;

  @step start() {
    const began = Date.now();
    const big = new Float64Array(100_000_000 / 8);
    for (let i = 0; i < big.length; i++) big[i] = Math.random();
    this.generateMs = Date.now() - began;
    this.big = big;
    this.next(this.read);
  }

  @step read() {
    this.sum = this.big[0]! + this.big[this.big.length - 1]!;
    this.next(this.end);
  }

  @step end() {}
}
