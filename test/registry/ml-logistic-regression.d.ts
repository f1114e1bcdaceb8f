declare module "ml-logistic-regression" {
  /** ml.js one-vs-all logistic regression (the package ships no types). */
  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    train(X: unknown, Y: unknown): void;
    predict(X: unknown): number[];
    toJSON(): unknown;
    static load(model: unknown): LogisticRegression;
  }
}
