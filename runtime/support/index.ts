/** runtime/support: small helpers every part of steplab may use (its own package, memoizing, a graph walk). */
export { cacheDir, packageRoot, packageVersion } from "./package.js";
export { memoize } from "./memo.js";
export { currentUsername, usernameOfTags } from "./user.js";
export { reachableFrom } from "./reachable.js";
export { typeOfValue } from "./value-type.js";
