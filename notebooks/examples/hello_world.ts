import { FlowSpec, step } from "steplab";

/**
 * A flow where steplab prints out a message.
 *
 * Run this flow to validate that steplab is installed correctly.
 */
export class HelloFlow extends FlowSpec {
  declare message: string;

  /** This is the 'start' step. All flows must have a step named 'start'. */
  @step start() {
    this.message = "steplab says: Hi!";
    console.log("HelloFlow is starting.");
    this.next(this.hello);
  }

  /** A step for steplab to introduce itself. */
  @step hello() {
    console.log(this.message);
    this.next(this.end);
  }

  /**
   * This is the 'end' step.
   * All flows must have an 'end' step, which is the last step in the flow.
   */
  @step end() {
    console.log("HelloFlow is all done.");
  }
}
