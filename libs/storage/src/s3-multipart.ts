import { createHash } from 'node:crypto';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { s3Sdk } from './s3-sdk.ts';

/** S3 refuses more parts than this. */
const MAX_PARTS = 10_000;

export interface MultipartRequest {
  client: S3Client;
  bucket: string;
  objectKey: string;
  /** Verified chunks: the stream ends normally only once size and sha256 have been checked. */
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  size: number;
  partSize: number;
  concurrency: number;
  contentType: string | undefined;
  cacheControl: string | undefined;
  metadata: Record<string, string>;
  signal: AbortSignal | undefined;
}

/** The part size actually used: at least `partSize`, large enough to stay within 10,000 parts. */
export function effectivePartSize(size: number, partSize: number): number {
  return Math.max(partSize, Math.ceil(size / MAX_PARTS));
}

/**
 * Uploads `chunks` as a multipart upload with a SHA-256 checksum per part, `concurrency` parts in
 * flight (memory: about (concurrency + 1) × part size). The object becomes visible only at
 * CompleteMultipartUpload, which runs after the whole body verified; any failure aborts the upload
 * so no parts are left behind (a killed process still leaves some: use a lifecycle rule).
 */
export async function uploadMultipart(request: MultipartRequest): Promise<{ etag: string }> {
  const {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    UploadPartCommand,
  } = s3Sdk();
  const { client, bucket, objectKey } = request;
  const sendOptions = request.signal === undefined ? {} : { abortSignal: request.signal };
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: objectKey,
      ChecksumAlgorithm: 'SHA256',
      ContentType: request.contentType,
      CacheControl: request.cacheControl,
      Metadata: request.metadata,
    }),
    sendOptions,
  );
  const uploadId = created.UploadId!;
  const partSize = effectivePartSize(request.size, request.partSize);
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let firstFailure: { error: unknown } | undefined;

  const uploadPart = (partNumber: number, body: Buffer) => {
    const checksum = createHash('sha256').update(body).digest('base64');
    const task = client
      .send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.byteLength,
          ChecksumSHA256: checksum,
        }),
        sendOptions,
      )
      .then((result) => {
        completed.push({ PartNumber: partNumber, ETag: result.ETag, ChecksumSHA256: checksum });
      })
      .catch((error: unknown) => {
        firstFailure ??= { error };
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  try {
    let part = Buffer.allocUnsafe(Math.min(partSize, request.size));
    let filled = 0;
    let partNumber = 0;
    for await (const chunk of request.chunks) {
      for (let offset = 0; offset < chunk.byteLength; ) {
        if (part.byteLength === 0)
          throw new Error(`multipart body for ${objectKey} exceeds ${request.size} bytes`);
        const take = Math.min(part.byteLength - filled, chunk.byteLength - offset);
        part.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === part.byteLength) {
          uploadPart(++partNumber, part);
          const remaining = request.size - partNumber * partSize;
          part = Buffer.allocUnsafe(Math.max(0, Math.min(partSize, remaining)));
          filled = 0;
          while (inFlight.size >= request.concurrency) await Promise.race(inFlight);
        }
      }
      if (firstFailure !== undefined) throw firstFailure.error;
    }
    await Promise.all(inFlight);
    if (firstFailure !== undefined) throw firstFailure.error;
    completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const result = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: objectKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
      sendOptions,
    );
    return { etag: result.ETag ?? '' };
  } catch (error) {
    await Promise.allSettled(inFlight);
    // Not under the caller's signal: the abort must still go out when that signal has fired.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId }))
      .catch(() => {});
    throw error;
  }
}
