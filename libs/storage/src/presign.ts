import { createRequire } from 'node:module';
import type { S3Client } from '@aws-sdk/client-s3';
import { StorageError, StorageErrorCode } from './errors.ts';
import { validateKey } from './keys.ts';
import { parseStoreUrl, type StoreSettings } from './open-store.ts';
import { createS3Client } from './s3-client.ts';
import { s3Sdk } from './s3-sdk.ts';

type Presigner = typeof import('@aws-sdk/s3-request-presigner');

const require = createRequire(import.meta.url);
let presignerModule: Presigner | undefined;

/** Loaded with the first presigner, as the S3 SDK is with the first S3 store (s3-sdk.ts). */
function presignerSdk(): Presigner {
  presignerModule ??= require('@aws-sdk/s3-request-presigner') as Presigner;
  return presignerModule;
}

/** Hands out URLs that GET one object straight from the store, without credentials, for a while. */
export interface ObjectPresigner {
  /** A presigned GET URL for `key`; reused while more than half its lifetime is left. */
  presignGet(key: string): Promise<string>;
  close(): void;
}

export interface PresignOptions {
  /** Lifetime of a URL. Default 900 s: a client follows a redirect at once. */
  expiresInSeconds?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** URLs remembered at most; past that the memory is dropped whole (signing again is cheap). */
const MAX_REMEMBERED_URLS = 10_000;

/**
 * A presigner for the S3 store the settings name (the same bucket, prefix, endpoint and region as
 * openConfiguredStore; credentials from the SDK's chain). INVALID_ARGUMENT for a file:// store:
 * a folder has no URLs to hand out.
 */
export function openPresigner(settings: StoreSettings, options: PresignOptions = {}): ObjectPresigner {
  const parsed = parseStoreUrl(settings.url);
  if (typeof parsed === 'string' || parsed.kind !== 's3') {
    throw new StorageError(
      StorageErrorCode.InvalidArgument,
      `presigned URLs need an s3:// store, not ${typeof parsed === 'string' ? 'an invalid URL' : 'a folder'}`,
    );
  }
  const client = createS3Client({
    bucket: parsed.bucket,
    ...(settings.s3Endpoint === null ? {} : { endpoint: settings.s3Endpoint, forcePathStyle: true }),
    ...(settings.s3Region === null ? {} : { region: settings.s3Region }),
  });
  return new S3Presigner(client, parsed.bucket, parsed.prefix, options);
}

class S3Presigner implements ObjectPresigner {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #expiresInSeconds: number;
  readonly #now: () => number;
  readonly #urls = new Map<string, { url: string; reuseUntil: number }>();

  constructor(client: S3Client, bucket: string, prefix: string, options: PresignOptions) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#expiresInSeconds = options.expiresInSeconds ?? 900;
    this.#now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.#expiresInSeconds) || this.#expiresInSeconds < 2) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `presigned URL lifetime must be an integer of at least 2 seconds, got ${this.#expiresInSeconds}`,
      );
    }
  }

  async presignGet(key: string): Promise<string> {
    validateKey(key);
    const now = this.#now();
    const remembered = this.#urls.get(key);
    if (remembered !== undefined && now < remembered.reuseUntil) return remembered.url;
    const url = await presignerSdk().getSignedUrl(
      this.#client,
      new (s3Sdk().GetObjectCommand)({
        Bucket: this.#bucket,
        Key: this.#prefix === '' ? key : `${this.#prefix}/${key}`,
      }),
      { expiresIn: this.#expiresInSeconds },
    );
    if (this.#urls.size >= MAX_REMEMBERED_URLS) this.#urls.clear();
    this.#urls.set(key, { url, reuseUntil: now + (this.#expiresInSeconds * 1000) / 2 });
    return url;
  }

  close(): void {
    this.#client.destroy();
  }
}
