/**
 * Values stored as artifacts outside a task's own commit: parameters (immutable artifacts every
 * task references) and the exception a `catch` step keeps.
 */
import { encode, type ArtifactRef, type BlobBytes, type Store } from "../../store/index.js";

/** Stores the values' blobs and returns their references, by artifact name. */
export async function storeValues(store: Store, values: Record<string, unknown>): Promise<Record<string, ArtifactRef>> {
  const refs: Record<string, ArtifactRef> = {};
  const blobs = new Map<string, BlobBytes>();
  for (const [name, value] of Object.entries(values)) {
    const { sha, size, type, parts } = encode(value);
    refs[name] = { sha, size, type };
    blobs.set(sha, parts);
  }
  await store.putBlobs(blobs);
  return refs;
}
