import { SteplabError } from "../../errors/index.js";

/**
 * The flow file cannot be read as a flow at all (syntax error, no flow class, two flow
 * classes, a Parameter whose name is not a literal). Problems with a readable but wrong graph
 * are lint problems instead, so that all of them can be reported at once.
 */
export class GraphError extends SteplabError {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super("GRAPH", message);
  }
}
