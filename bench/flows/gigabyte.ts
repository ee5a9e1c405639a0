import { FlowSpec, step } from "steplab";

/** Issue 15: a 1 GB Uint32Array stored in start and read by the next step. */
export class GigabyteFlow extends FlowSpec {
  declare big: Uint32Array;
  declare last: number;

  @step({ memoryMb: 3072 }) start() {
    const big = new Uint32Array(2 ** 28);
    for (let i = 0; i < big.length; i++) big[i] = i;
    this.big = big;
    this.next(this.read);
  }

  @step({ memoryMb: 3072 }) read() {
    this.last = this.big[this.big.length - 1]!;
    this.next(this.end);
  }

  @step end() {}
}
