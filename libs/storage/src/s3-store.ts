import { Readable } from 'node:stream';
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { abortedError, StorageError, StorageErrorCode } from './errors.ts';
import { timed } from './instrument.ts';
import { validateKey, validatePrefix } from './keys.ts';
import type {
  ConditionalPutOptions,
  GetOptions,
  GetResult,
  ObjectInfo,
  ObjectStore,
  OperationHook,
  PutBody,
  PutOptions,
} from './object-store.ts';
import { createS3Client, type S3StoreOptions, s3Settings } from './s3-client.ts';
import { isS3NotFound, mapS3Error } from './s3-errors.ts';
import { uploadMultipart } from './s3-multipart.ts';
import { s3Sdk } from './s3-sdk.ts';
import {
  checkCondition,
  checkPutOptions,
  checkRange,
  releaseBody,
  verifiedChunks,
  verifyBuffer,
} from './verified-body.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MiB = 1024 * 1024;
/** S3 refuses more parts than this (and objects over 5 TiB). */
const MAX_PARTS = 10_000;
const S3_MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/**
 * Largest part buffered in memory (unless a larger partSize is configured). Parts are held whole
 * while they upload, (concurrency + 1) of them at a time, and the part size grows with the object
 * to stay within 10 000 parts: a record claiming 3×10¹³ bytes asked for 3 GB parts and a worker
 * reached 1.58 GB RSS. With this bound an object may have up to 625 GiB, far beyond any package.
 */
export const MAX_BUFFERED_PART_BYTES = 64 * MiB;

export type { S3Logger, S3StoreOptions } from './s3-client.ts';

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;
  readonly #sdk = s3Sdk();
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  readonly #partConcurrency: number;
  /** Largest object put accepts: 10 000 parts of the largest part size, and never over 5 TiB. */
  readonly #maxObjectBytes: number;
  readonly #onOperation: OperationHook | undefined;

  constructor(options: S3StoreOptions) {
    const settings = s3Settings(options);
    this.#bucket = settings.bucket;
    this.#prefix = settings.prefix;
    this.#multipartThreshold = settings.multipartThreshold;
    this.#partSize = settings.partSize;
    this.#partConcurrency = settings.partConcurrency;
    this.#maxObjectBytes = Math.min(
      S3_MAX_OBJECT_BYTES,
      MAX_PARTS * Math.max(settings.partSize, MAX_BUFFERED_PART_BYTES),
    );
    this.description = settings.description;
    this.#onOperation = options.onOperation;
    this.#client = createS3Client(options);
  }

  #objectKey(key: string): string {
    return this.#prefix === '' ? key : `${this.#prefix}/${key}`;
  }

  async put(key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo> {
    validateKey(key);
    const sha256 = checkPutOptions(key, options);
    if (options.size > this.#maxObjectBytes) {
      releaseBody(body);
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `put of key "${key}": ${options.size} bytes is more than ${this.description} accepts ` +
          `(at most ${this.#maxObjectBytes} bytes: ${MAX_PARTS} parts of at most ` +
          `${Math.ceil(this.#maxObjectBytes / MAX_PARTS)} bytes)`,
        { key },
      );
    }
    if (options.signal?.aborted) throw abortedError(key, 'put', options.signal);
    // An in-memory body is checked before any I/O; a stream is checked as it is sent.
    if (body instanceof Uint8Array) verifyBuffer(key, body, options.size, sha256);
    return timed(this.#onOperation, 'put', async () => {
      try {
        if (options.size >= this.#multipartThreshold) {
          const { etag } = await uploadMultipart({
            client: this.#client,
            bucket: this.#bucket,
            objectKey: this.#objectKey(key),
            chunks:
              body instanceof Uint8Array
                ? [body]
                : verifiedChunks(key, body, options.size, sha256, options.signal),
            size: options.size,
            partSize: this.#partSize,
            concurrency: this.#partConcurrency,
            contentType: options.contentType,
            cacheControl: options.cacheControl,
            metadata: { sha256 },
            signal: options.signal,
          });
          return this.#putResult(key, options, sha256, etag);
        }
        if (body instanceof Uint8Array) {
          const result = await this.#client.send(
            new this.#sdk.PutObjectCommand(this.#putInput(key, body, options, sha256)),
            options.signal === undefined ? {} : { abortSignal: options.signal },
          );
          return this.#putResult(key, options, sha256, result.ETag);
        }
        return await this.#putStream(key, body, options, sha256);
      } catch (error) {
        releaseBody(body);
        throw mapS3Error(error, 'put', key, this.description);
      }
    });
  }

  /**
   * Streams through verifiedChunks, which withholds the last chunk until size and sha256 match, so
   * S3 never receives all Content-Length bytes of a bad body and cannot commit it, even on stores
   * that ignore ChecksumSHA256. A failed check aborts the request.
   */
  async #putStream(key: string, body: AsyncIterable<Uint8Array>, options: PutOptions, sha256: string) {
    const requestAbort = new AbortController();
    const forwardAbort = () => requestAbort.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    let verificationFailure: { error: unknown } | undefined;
    const chunks = verifiedChunks(key, body, options.size, sha256, options.signal);
    async function* abortOnFailure() {
      try {
        yield* chunks;
      } catch (error) {
        // The SDK pipes the body without watching it for errors: cut the request ourselves.
        verificationFailure = { error };
        requestAbort.abort(error);
        throw error;
      }
    }
    const stream = Readable.from(abortOnFailure(), { objectMode: false });
    // The error is already in verificationFailure; without a listener it would be an uncaught exception.
    stream.on('error', () => {});
    try {
      const result = await this.#client.send(
        new this.#sdk.PutObjectCommand(this.#putInput(key, stream, options, sha256)),
        {
          abortSignal: requestAbort.signal,
        },
      );
      return this.#putResult(key, options, sha256, result.ETag);
    } catch (error) {
      throw verificationFailure?.error ?? error;
    } finally {
      options.signal?.removeEventListener('abort', forwardAbort);
      // When S3 answered early (an error), stop reading the source so the upstream is released.
      stream.destroy();
    }
  }

  #putInput(key: string, body: PutObjectCommandInput['Body'], options: PutOptions, sha256: string) {
    return {
      Bucket: this.#bucket,
      Key: this.#objectKey(key),
      Body: body,
      ContentLength: options.size,
      // The store itself rejects bytes that do not hash to this (BadDigest) where it supports it.
      ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      Metadata: { sha256 },
    } satisfies PutObjectCommandInput;
  }

  /** Put results carry the client's clock as lastModified: S3's PUT response has no date of its own. */
  #putResult(key: string, options: PutOptions, sha256: string, etag: string | undefined): ObjectInfo {
    return {
      key,
      size: options.size,
      etag: etag ?? '',
      lastModified: new Date(),
      sha256,
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      ...(options.cacheControl === undefined ? {} : { cacheControl: options.cacheControl }),
    };
  }

  async putConditional(key: string, body: Uint8Array, options: ConditionalPutOptions): Promise<ObjectInfo> {
    validateKey(key);
    const sha256 = checkPutOptions(key, options);
    const condition = checkCondition(key, options);
    verifyBuffer(key, body, options.size, sha256);
    if (options.signal?.aborted) throw abortedError(key, 'put', options.signal);
    return timed(this.#onOperation, 'put_conditional', async () => {
      try {
        const result = await this.#client.send(
          new this.#sdk.PutObjectCommand({
            ...this.#putInput(key, body, options, sha256),
            ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: '*' }),
          }),
          options.signal === undefined ? {} : { abortSignal: options.signal },
        );
        return this.#putResult(key, options, sha256, result.ETag);
      } catch (error) {
        // AWS answers If-Match on a missing key with 404: for the caller the condition failed.
        if ('ifMatch' in condition && isS3NotFound(error)) {
          throw new StorageError(
            StorageErrorCode.PreconditionFailed,
            `conditional put of key "${key}" on ${this.description}: expected ETag ${condition.ifMatch}, found no object`,
            { cause: error, key },
          );
        }
        throw mapS3Error(error, 'conditional put', key, this.description);
      }
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult | null> {
    validateKey(key);
    checkRange(key, options.range);
    return timed(this.#onOperation, 'get', async () => {
      try {
        const { range } = options;
        const result = await this.#client.send(
          new this.#sdk.GetObjectCommand({
            Bucket: this.#bucket,
            Key: this.#objectKey(key),
            ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end ?? ''}` }),
          }),
          options.signal === undefined ? {} : { abortSignal: options.signal },
        );
        // With a range, ContentLength is the range's; the full size is after the "/" of Content-Range.
        const total = result.ContentRange?.split('/')[1];
        const size = total !== undefined && total !== '*' ? Number(total) : (result.ContentLength ?? 0);
        const info = this.#info(key, { ...result, ContentLength: size });
        return { info, body: result.Body as Readable };
      } catch (error) {
        if (isS3NotFound(error)) return null;
        throw mapS3Error(error, 'get', key, this.description);
      }
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    validateKey(key);
    return timed(this.#onOperation, 'head', async () => {
      try {
        const result = await this.#client.send(
          new this.#sdk.HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }),
        );
        return this.#info(key, result);
      } catch (error) {
        if (isS3NotFound(error)) return null;
        throw mapS3Error(error, 'head', key, this.description);
      }
    });
  }

  #info(
    key: string,
    result: {
      ContentLength?: number;
      ETag?: string;
      LastModified?: Date;
      Metadata?: Record<string, string>;
      ContentType?: string;
      CacheControl?: string;
    },
  ): ObjectInfo {
    const sha256 = result.Metadata?.['sha256'];
    return {
      key,
      size: result.ContentLength ?? 0,
      etag: result.ETag ?? '',
      lastModified: result.LastModified ?? new Date(0),
      ...(sha256 !== undefined && SHA256_HEX.test(sha256) ? { sha256 } : {}),
      ...(result.ContentType === undefined ? {} : { contentType: result.ContentType }),
      ...(result.CacheControl === undefined ? {} : { cacheControl: result.CacheControl }),
    };
  }

  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    validatePrefix(prefix);
    const strip = this.#prefix === '' ? 0 : this.#prefix.length + 1;
    let continuationToken: string | undefined;
    do {
      const page = await timed(this.#onOperation, 'list', async () => {
        try {
          return await this.#client.send(
            new this.#sdk.ListObjectsV2Command({
              Bucket: this.#bucket,
              Prefix: this.#objectKey(prefix),
              ContinuationToken: continuationToken,
            }),
          );
        } catch (error) {
          throw mapS3Error(error, 'list', prefix, this.description);
        }
      });
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield {
          key: item.Key.slice(strip),
          size: item.Size ?? 0,
          etag: item.ETag ?? '',
          lastModified: item.LastModified ?? new Date(0),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async copy(fromKey: string, toKey: string): Promise<boolean> {
    validateKey(fromKey);
    validateKey(toKey);
    return timed(this.#onOperation, 'copy', async () => {
      try {
        await this.#client.send(
          new this.#sdk.CopyObjectCommand({
            Bucket: this.#bucket,
            Key: this.#objectKey(toKey),
            // URL-encoded "bucket/key"; COPY keeps the sha256 metadata, content type and cache control.
            CopySource: encodeURIComponent(`${this.#bucket}/${this.#objectKey(fromKey)}`),
            MetadataDirective: 'COPY',
          }),
        );
        return true;
      } catch (error) {
        if (isS3NotFound(error)) return false;
        throw mapS3Error(error, 'copy', toKey, this.description);
      }
    });
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await timed(this.#onOperation, 'delete', async () => {
      try {
        await this.#client.send(
          new this.#sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }),
        );
      } catch (error) {
        if (isS3NotFound(error)) return;
        throw mapS3Error(error, 'delete', key, this.description);
      }
    });
  }

  async flush(): Promise<void> {
    // A PUT (or CopyObject, DeleteObject) that returned is durable: nothing is held back to sync.
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
