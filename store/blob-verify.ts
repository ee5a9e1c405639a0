/**
 * Every blob read, whatever datastore it comes from, passes through here: its stored form is
 * unpacked (a whole blob, or a manifest's chunks joined: store/chunks) and its bytes must hash to
 * the sha it is stored under. A damaged copy (a flipped bit,
 * a truncated object) is an error that says so and where, never a value silently wrong or an
 * "invalid literal/length code" naming nothing.
 */
import { sha256 } from "./codec.js";
import { BlobDamagedError } from "./errors.js";

/** What a damaged blob's error names: the datastore, and who refers to the blob (runs, tasks, artifacts). */
export interface BlobPlace {
  store: string;
  /** Where the copy sits, when it is not the datastore itself (an S3 object, the local cache). */
  copy?: string;
  /** "artifact 'x' of F/1/start/1", ... (searched only once the blob is found damaged). */
  owners?(): string[];
}

/** The blob's encoded bytes, as `unpack` reads them from its stored form, checked against `sha`; throws BlobDamagedError. */
export function verifiedBlob(sha: string, unpack: () => Uint8Array, place: BlobPlace): Uint8Array {
  let bytes: Uint8Array | undefined;
  let problem: string | undefined;
  try {
    bytes = unpack();
    if (sha256(bytes) !== sha) problem = "its bytes no longer match their hash";
  } catch (err) {
    problem = `it cannot be unpacked (${(err as Error).message})`;
  }
  if (problem === undefined) return bytes!;
  const owners = place.owners?.() ?? [];
  const whose = owners.length ? ` It holds ${owners.join(", ")}.` : "";
  throw new BlobDamagedError(
    sha,
    `the artifact data ${sha} in the steplab datastore at ${place.store}${place.copy ? ` (${place.copy})` : ""} is damaged: ${problem}.${whose} ` +
      `Run the step that produced it again (a new run storing the same value replaces the damaged copy), or restore the datastore from a backup.`,
  );
}
