import { FlowSpec, step, Parameter, type Inputs } from "steplab";

/**
 * A wide foreach: one start, `width` tiny tasks, a join, an end. The default (1000) is above
 * the default --max-num-splits (100), so run it with:
 *
 *   steplab wide_foreach.ts run --max-num-splits 1000
 */
export class WideForeachFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  declare total: number;

  width = Parameter("width", { help: "How many foreach tasks", default: 1000 });

  /** The numbers 0 .. width-1. */
  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: "items" });
  }

  /** Squares one number. */
  @step work() {
    this.squared = (this.input as number) ** 2;
    this.next(this.join);
  }

  /** Sums the squares. */
  @step join(inputs: Inputs<WideForeachFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.squared, 0);
    this.next(this.end);
  }

  @step end() {
    console.log("total", this.total);
  }
}
