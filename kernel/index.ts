/** steplab's Jupyter kernel: the wire protocol over zeromq, in front of a NotebookSession. */
export { startKernel, type Kernel, type KernelOptions, type SessionFactory } from "./kernel.js";
export { watchParent } from "./parent-watch.js";
export {
  parseConnection,
  readConnectionFile,
  ConnectionFileError,
  type ConnectionInfo,
} from "./connection.js";
export { queryHistory, type HistoryQuery, type HistoryRow } from "./history.js";
export {
  installKernelspec,
  kernelSpec,
  kernelspecDir,
  userDataDir,
  sysPrefix,
  KERNEL_NAME,
  type KernelspecLocation,
  type KernelSpecJson,
} from "./install.js";
export { PROTOCOL_VERSION, Signer, decode, encode, newHeader, type JupyterMessage, type MessageHeader } from "./wire.js";
export { codePointToUtf16, utf16ToCodePoint } from "./cursor.js";
