import { packageVersion } from "../runtime/support/index.js";

export const VERSION = packageVersion();
