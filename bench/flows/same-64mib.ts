import { FlowSpec, step } from "steplab";

/** 64 MiB of pseudo-random bits (incompressible), the same bytes every call. */
function block(): Float64Array {
  const a = new Float64Array((64 * 1024 * 1024) / 8);
  const words = new Uint32Array(a.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return a;
}

/** Two steps store the same 64 MiB typed array (under two names): the store keeps it once. */
export class Same64MiBFlow extends FlowSpec {
  declare first: Float64Array;
  declare second: Float64Array;

  @step start() {
    this.first = block();
    this.next(this.again);
  }

  @step again() {
    this.second = block();
    this.next(this.end);
  }

  @step end() {
    console.log("stored", this.second.length, "doubles twice");
  }
}
