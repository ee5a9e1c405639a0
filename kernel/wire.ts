/**
 * Jupyter wire format (messaging spec 5.3): routing identities, the `<IDS|MSG>` delimiter, an HMAC
 * signature and four JSON frames. Decoding never throws: a frame list that is not a valid,
 * correctly signed message comes back as a reason, so one bad client cannot stop the kernel.
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { userInfo } from "node:os";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = Buffer.from("<IDS|MSG>");

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [key: string]: unknown;
}

export interface JupyterMessage<C = Record<string, unknown>> {
  /** Routing frames before the delimiter (ROUTER identities, or the IOPub topic). */
  identities: Buffer[];
  header: MessageHeader;
  /** `{}` for messages that answer nothing (iopub_welcome, starting). */
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export type DecodeResult = { ok: true; message: JupyterMessage } | { ok: false; reason: string };

/**
 * Signs and checks messages with the connection file's key. An empty key disables signing, as
 * the spec says. Signatures already seen are refused, so a captured message cannot be replayed.
 */
export class Signer {
  private readonly key: Buffer;
  private readonly algorithm: string;
  private readonly seen = new Set<string>();
  private static readonly MAX_SEEN = 1 << 16;

  constructor(key: string, scheme = "hmac-sha256") {
    this.key = Buffer.from(key, "utf8");
    if (!scheme.startsWith("hmac-")) throw new Error(`Unsupported signature_scheme ${scheme}`);
    this.algorithm = scheme.slice("hmac-".length);
    // Fail at start-up, not on the first message, when node lacks the digest.
    createHmac(this.algorithm, "probe");
  }

  get enabled(): boolean {
    return this.key.length > 0;
  }

  sign(parts: readonly Buffer[]): string {
    if (!this.enabled) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const p of parts) hmac.update(p);
    return hmac.digest("hex");
  }

  /** True when `signature` is the HMAC of `parts` and was not used before. */
  verify(signature: Buffer, parts: readonly Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(parts), "ascii");
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return false;
    const hex = expected.toString("ascii");
    if (this.seen.has(hex)) return false;
    if (this.seen.size >= Signer.MAX_SEEN) this.seen.clear();
    this.seen.add(hex);
    return true;
  }
}

function parseDict(frame: Buffer, name: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch {
    return `${name} is not valid JSON`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return `${name} is not a JSON object`;
  return value as Record<string, unknown>;
}

/** Reads a multipart message as received from a ROUTER (or SUB) socket. */
export function decode(frames: readonly Buffer[], signer: Signer): DecodeResult {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) return { ok: false, reason: "no <IDS|MSG> delimiter" };
  const rest = frames.slice(at + 1);
  if (rest.length < 5) return { ok: false, reason: `expected 5 frames after the delimiter, got ${rest.length}` };
  const [signature, ...signed] = rest.slice(0, 5) as [Buffer, Buffer, Buffer, Buffer, Buffer];
  if (!signer.verify(signature, signed)) return { ok: false, reason: "invalid or replayed signature" };
  const names = ["header", "parent_header", "metadata", "content"] as const;
  const dicts: Record<string, unknown>[] = [];
  for (let i = 0; i < 4; i++) {
    const d = parseDict(signed[i]!, names[i]!);
    if (typeof d === "string") return { ok: false, reason: d };
    dicts.push(d);
  }
  const header = dicts[0]!;
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    return { ok: false, reason: "header lacks msg_id or msg_type" };
  }
  return {
    ok: true,
    message: {
      identities: frames.slice(0, at).map((f) => Buffer.from(f)),
      header: header as MessageHeader,
      parent_header: dicts[1] as MessageHeader,
      metadata: dicts[2]!,
      content: dicts[3]!,
      buffers: rest.slice(5).map((f) => Buffer.from(f)),
    },
  };
}

/** Serialises and signs a message into the frames to send. */
export function encode(msg: Omit<JupyterMessage<unknown>, "buffers"> & { buffers?: Buffer[] }, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((d) => Buffer.from(JSON.stringify(d ?? {}), "utf8"));
  return [...msg.identities, DELIMITER, Buffer.from(signer.sign(parts), "ascii"), ...parts, ...(msg.buffers ?? [])];
}

let username: string | undefined;
function currentUser(): string {
  if (username === undefined) {
    try {
      username = userInfo().username;
    } catch {
      username = "steplab";
    }
  }
  return username;
}

/** A fresh header for a message the kernel originates. */
export function newHeader(msgType: string, session: string): MessageHeader {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username: currentUser(),
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}
