import { FlowSpec, step, Parameter, type Inputs } from "steplab";

/** Metaflow's WideForeachFlow: one start, N tiny foreach tasks, a join, an end. */
export class WideForeachFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  declare total: number;
  width = Parameter("width", { help: "How many foreach tasks", default: 1000 });

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: "items" });
  }

  @step work() {
    this.squared = (this.input as number) ** 2;
    this.next(this.join);
  }

  @step join(inputs: Inputs<WideForeachFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.squared, 0);
    this.next(this.end);
  }

  @step end() {
    console.log("total", this.total);
  }
}
