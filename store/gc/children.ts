/**
 * The blobs a blob names. Today every blob is a leaf. The data plane (branch `dataplane`) is
 * making big values chunked: a manifest blob naming chunk blobs. When it lands, this function
 * returns a manifest's chunks (its one function that lists a blob's child blobs), and gc keeps
 * the chunks of every live manifest. It is the only place gc learns about chunking.
 */
import type { Store } from "../types.js";

export function childBlobs(_store: Store, _sha: string): string[] {
  return [];
}
