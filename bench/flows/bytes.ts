import { FlowSpec, step } from "steplab";

/** Issue 15: 100 MB of random bytes stored in start and read by the next step. */
export class BytesFlow extends FlowSpec {
  declare data: Uint8Array;
  declare checksum: number;

  @step start() {
    // The same xorshift fill as the floor (bench/floors.mjs).
    const data = new Uint8Array(100_000_000);
    const words = new Uint32Array(data.buffer);
    let x = 0x9e3779b9;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    this.data = data;
    this.next(this.read);
  }

  @step read() {
    const data = this.data;
    this.checksum = data[0]! + data[data.length - 1]!;
    this.next(this.end);
  }

  @step end() {}
}
