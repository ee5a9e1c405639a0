/** runtime/cards: pictures of flows and tasks — the DAG as SVG, a task's card as one HTML page. */
export { dagSvg, type Dag, type DagNode, type DagEdge, type StepState, type DagSvgOptions } from "./dag.js";
export { flowDag, isReused, runDag, stepState } from "./graphs.js";
export { cardFragment, cardPage, findTask, type CardOptions } from "./card.js";
export { startCardServer, type CardServer, type CardServerOptions } from "./server.js";
