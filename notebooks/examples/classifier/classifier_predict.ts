import { FlowSpec, step, Parameter, JSONType, Flow, registerArtifactClass } from "steplab";
import KNN from "ml-knn";
import { GaussianNB } from "ml-naivebayes";

// The same registrations as the training flow, so the stored model comes back as a model.
registerArtifactClass(KNN);
registerArtifactClass(GaussianNB);

/** Classifies one iris sample with the latest model ClassifierTrainFlow trained. */
export class ClassifierPredictFlow extends FlowSpec {
  declare train_run: string;
  declare model_name: string;
  declare prediction: number;

  vector = Parameter<number[]>("vector", {
    help: "The four measurements of one flower, as JSON: [sepal length, sepal width, petal length, petal width]",
    type: JSONType,
    required: true,
  });

  /** Loads the model of the latest successful training run through the client API. */
  @step start() {
    const run = Flow("ClassifierTrainFlow").latestSuccessfulRun;
    if (!run) throw new Error("ClassifierTrainFlow has no successful run yet: run classifier_train.ts first");
    const trained = run.step("end").task.data;
    this.train_run = run.pathspec;
    this.model_name = trained.model_name;
    this.prediction = trained.model.predict([this.vector])[0];
    console.log(`Using the ${this.model_name} model of ${this.train_run}`);
    this.next(this.end);
  }

  @step end() {
    console.log(`Predicted class ${this.prediction}`);
  }
}
