/** What cells show: the bundles live in runtime/display, shared with flow steps' displays. */
export { displayBundle, tableBundle, valueBundle } from "../display/index.js";
