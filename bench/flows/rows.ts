import { FlowSpec, step } from "steplab";

/** Issue 15: a million row objects built in start, summed in the next step. */
export class RowsFlow extends FlowSpec {
  declare rows: { id: number; name: string; value: number; group: string }[];
  declare total: number;

  @step start() {
    const rows = [];
    for (let i = 0; i < 1_000_000; i++) rows.push({ id: i, name: `name${i}`, value: Math.random(), group: `g${i % 10}` });
    this.rows = rows;
    this.next(this.sum);
  }

  @step sum() {
    let total = 0;
    for (const row of this.rows) total += row.value;
    this.total = total;
    this.next(this.end);
  }

  @step end() {}
}
