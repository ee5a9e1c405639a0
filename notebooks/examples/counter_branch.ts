import { FlowSpec, step, Parameter, type Inputs } from "steplab";

/** Counts in two parallel branches, then joins them and keeps the larger count. */
export class CounterBranchFlow extends FlowSpec {
  declare count: number;
  declare increment: number;

  animal = Parameter("creature", { help: "Specify an animal", default: "dog" });

  /** Starting point: a static split into two branches. */
  @step start() {
    this.count = 0;
    this.next(this.add_one, this.add_two);
  }

  /** One branch adds one. */
  @step add_one() {
    this.increment = 1;
    this.count += 1;
    this.next(this.join);
  }

  /** The other adds two. */
  @step add_two() {
    this.increment = 2;
    this.count += 2;
    this.next(this.join);
  }

  /**
   * Keeps the larger count. `increment` differs between the branches, so it is excluded from
   * the merge; every other artifact (the parameter) agrees and is merged.
   */
  @step join(inputs: Inputs<CounterBranchFlow>) {
    this.count = Math.max(...inputs.map((i) => i.count));
    console.log("count from add_one", inputs.add_one.count);
    console.log("count from add_two", inputs.add_two.count);
    this.mergeArtifacts(inputs, { exclude: ["increment"] });
    this.next(this.end);
  }

  /** Reports the count and the animal it was counted for. */
  @step end() {
    console.log(`The final count for the ${this.animal} is`, this.count);
  }
}
