/**
 * Deleting many objects: DeleteObjects, 1000 keys a request. S3 requires a checksum on that
 * request; the SDK sends a CRC32 header, which S3-compatible servers such as Swift's s3api
 * reject ("Missing required header: Content-MD5"), so the request carries Content-MD5 instead —
 * which AWS accepts as well.
 */
import { createHash } from "node:crypto";
import type { DeleteObjectsCommand, S3Client } from "@aws-sdk/client-s3";

const KEYS_PER_REQUEST = 1000;

function withContentMd5(command: DeleteObjectsCommand): DeleteObjectsCommand {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body?: unknown };
      if (typeof request.body === "string" || request.body instanceof Uint8Array) {
        for (const h of Object.keys(request.headers)) if (/^x-amz-(sdk-)?checksum/i.test(h)) delete request.headers[h];
        request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
      }
      return next(args);
    },
    { step: "build", priority: "low", name: "steplabContentMd5" },
  );
  return command;
}

/** Deletes the objects (a missing one counts as deleted); throws naming the first key S3 refused. */
export async function deleteObjects(
  client: S3Client,
  // The SDK's command class, passed in: the SDK is loaded only when a datastore first talks to S3.
  Command: typeof DeleteObjectsCommand,
  bucket: string,
  keys: string[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += KEYS_PER_REQUEST) {
    const batch = keys.slice(i, i + KEYS_PER_REQUEST);
    const out = await client.send(
      withContentMd5(new Command({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
    );
    const failed = (out.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new Error(`S3 refused to delete ${failed.length} object(s), e.g. ${first.Key}: ${first.Code} ${first.Message ?? ""}`.trim());
    }
  }
}
