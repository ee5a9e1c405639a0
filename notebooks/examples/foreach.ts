import { FlowSpec, step, type Inputs } from "steplab";

/** Processes every title of a list in parallel (a foreach), then collects the results. */
export class ForeachFlow extends FlowSpec {
  declare titles: string[];
  declare title: string;
  declare position: number;
  declare results: string[];

  /** The list to fan out over. */
  @step start() {
    this.titles = ["Stranger Things", "House of Cards", "Narcos"];
    this.next(this.a, { foreach: "titles" });
  }

  /** One task per title: `input` is the title, `index` its position in the list. */
  @step a() {
    this.title = `${this.input} processed`;
    this.position = this.index;
    this.next(this.join);
  }

  /** `inputs` holds one entry per foreach task, in list order. */
  @step join(inputs: Inputs<ForeachFlow>) {
    this.results = inputs.map((i) => `${i.position}: ${i.title}`);
    this.next(this.end);
  }

  @step end() {
    console.log(this.results.join("\n"));
  }
}
