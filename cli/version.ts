import { packageVersion } from "../runtime/package.js";

export const VERSION = packageVersion();
