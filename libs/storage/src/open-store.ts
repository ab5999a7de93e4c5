import { fileURLToPath } from 'node:url';
import { StorageError, StorageErrorCode } from './errors.ts';
import { FsObjectStore, type FsStoreOptions } from './fs-store.ts';
import type { ObjectStore, OperationHook } from './object-store.ts';
import { S3ObjectStore, type S3StoreOptions } from './s3-store.ts';

export interface OpenStoreOptions {
  /** Connection settings used for s3:// URLs; the bucket and prefix come from the URL. */
  s3?: Omit<S3StoreOptions, 'bucket' | 'prefix' | 'onOperation'>;
  /** Lock tuning and fsync for file:// URLs. */
  fs?: Omit<FsStoreOptions, 'root' | 'onOperation'>;
  onOperation?: OperationHook;
}

function invalidUrl(url: string, why: string): StorageError {
  // Only the scheme and host are echoed: a URL pasted with user info could hold a secret.
  let shown = '(unparseable URL)';
  try {
    const parsed = new URL(url);
    shown = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {}
  return new StorageError(StorageErrorCode.InvalidArgument, `invalid storage URL ${shown}: ${why}`);
}

/** Opens `file:///absolute/path` or `s3://bucket[/prefix]`. */
export function openStore(url: string, options: OpenStoreOptions = {}): ObjectStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StorageError(
      StorageErrorCode.InvalidArgument,
      'storage URL is not a valid URL; expected file:///path or s3://bucket/prefix',
      {
        cause: error,
      },
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidUrl(url, 'credentials do not belong in the storage URL; pass them in the S3 options');
  }
  if (parsed.search !== '' || parsed.hash !== '')
    throw invalidUrl(url, 'query strings and fragments are not supported');
  const hook = options.onOperation === undefined ? {} : { onOperation: options.onOperation };
  if (parsed.protocol === 'file:') {
    if (parsed.host !== '') throw invalidUrl(url, 'expected file:///absolute/path (no host)');
    return new FsObjectStore({ ...options.fs, root: fileURLToPath(parsed), ...hook });
  }
  if (parsed.protocol === 's3:') {
    if (parsed.hostname === '') throw invalidUrl(url, 'expected s3://bucket/prefix');
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
    return new S3ObjectStore({ ...options.s3, bucket: parsed.hostname, prefix, ...hook });
  }
  throw invalidUrl(url, `unsupported scheme "${parsed.protocol}", expected file: or s3:`);
}
