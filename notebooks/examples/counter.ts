import { FlowSpec, step } from "steplab";

/** An artifact assigned in one step is visible, and changeable, in the next. */
export class CounterFlow extends FlowSpec {
  declare count: number;

  /** Start counting at zero. */
  @step start() {
    this.count = 0;
    this.next(this.add);
  }

  /** Add one: the value of `count` came from `start`. */
  @step add() {
    console.log("The count is", this.count, "before incrementing");
    this.count += 1;
    this.next(this.end);
  }

  /** Add one more and report. */
  @step end() {
    this.count += 1;
    console.log("Final count is", this.count);
  }
}
