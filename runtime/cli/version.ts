import { packageVersion } from "../package.js";

export const VERSION = packageVersion();
