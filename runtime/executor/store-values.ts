/**
 * Values stored as artifacts outside a task's own commit: parameters (immutable artifacts every
 * task references) and the exception a `catch` step keeps.
 */
import { encodeArtifact, sha256, typeName, type ArtifactRef, type Store } from "../../store/index.js";

/** Stores the values' blobs and returns their references, by artifact name. */
export async function storeValues(store: Store, values: Record<string, unknown>): Promise<Record<string, ArtifactRef>> {
  const refs: Record<string, ArtifactRef> = {};
  const blobs = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(values)) {
    const bytes = encodeArtifact(value);
    const sha = sha256(bytes);
    refs[name] = { sha, size: bytes.byteLength, type: typeName(value) };
    blobs.set(sha, bytes);
  }
  await store.putBlobs(blobs);
  return refs;
}
