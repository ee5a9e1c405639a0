import { FlowSpec, step, Parameter, IncludeFile, JSONType } from "steplab";

/** The rows of a CSV text as records (header line first; numbers stay strings). */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = (header ?? "").split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i] ?? `column_${i}`, v])));
}

/**
 * Parameters of every type, and a file included from the command line.
 *
 * Try: steplab parameters.ts run --alpha 0.5 --species setosa --verbose true
 *      --config '{"column": "sepal_width", "digits": 1}' --iris other.csv
 */
export class ParameterFlow extends FlowSpec {
  declare rows: number;
  declare mean: number;
  declare scaled: number;

  alpha = Parameter("alpha", { help: "Scale applied to the mean", default: 0.01 });
  species = Parameter("species", { help: "Species to keep ('all' keeps every row)", default: "all" });
  verbose = Parameter("verbose", { help: "Print every value used", type: Boolean, default: false });
  config = Parameter("config", {
    help: "Column to summarise and digits to round to",
    type: JSONType,
    default: { column: "petal_length", digits: 2 },
  });
  iris = IncludeFile("iris", { help: "A CSV file of iris samples", isText: true, default: "data/iris_small.csv" });

  /** Reads the included CSV and keeps the chosen species. */
  @step start() {
    const records = parseCsv(this.iris).filter((r) => this.species === "all" || r.species === this.species);
    const column = this.config.column as string;
    const values = records.map((r) => Number(r[column]));
    this.rows = values.length;
    this.mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
    if (this.verbose) console.log(`${column}:`, values.join(" "));
    this.next(this.end);
  }

  /** Applies alpha and rounds as configured. */
  @step end() {
    const digits = this.config.digits as number;
    this.scaled = Number((this.mean * this.alpha).toFixed(digits + 2));
    console.log(
      `${this.rows} rows of ${this.species}: mean ${this.config.column} ${this.mean.toFixed(digits)}, times alpha ${this.alpha} = ${this.scaled}`,
    );
  }
}
