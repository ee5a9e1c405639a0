/** ml-knn ships no types: what the examples use of it, for your editor and `tsc`. */
declare module "ml-knn" {
  export default class KNN {
    constructor(dataset: number[][], labels: number[], options?: { k?: number });
    predict(dataset: number[][]): number[];
    toJSON(): unknown;
    static load(model: unknown): KNN;
  }
}
