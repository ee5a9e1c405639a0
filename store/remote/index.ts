export { RemoteStore, defaultCacheDir, type RemoteStoreOptions } from "./remote-store.js";
export { loadRemoteConfig, loadConfigFile, redactUrl, CONFIG_FILE, type RemoteConfig, type S3Settings } from "./config.js";
export { isRemoteRoot, parseS3Root, formatS3Root, type S3Location } from "../s3/index.js";
export { BlobCache, cacheMaxBytes, DEFAULT_CACHE_MAX_MB, type BlobCacheOptions } from "./blob-cache.js";
