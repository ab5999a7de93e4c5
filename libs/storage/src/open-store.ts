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

/**
 * Where a role's store is, as its environment says (CONDASYNC_STORAGE_URL, CONDASYNC_S3_ENDPOINT,
 * CONDASYNC_S3_REGION). Credentials are not here: the AWS SDK's own chain finds them.
 */
export interface StoreSettings {
  /** `file:///absolute/path` or `s3://bucket[/prefix]`. */
  url: string;
  s3Endpoint: string | null;
  s3Region: string | null;
}

export type ParsedStoreUrl = { kind: 'file'; root: string } | { kind: 's3'; bucket: string; prefix: string };

/** Only the scheme, host and path are echoed: a URL pasted with user info could hold a secret. */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** The URL's meaning, or why it has none (a message that names what was expected). */
export function parseStoreUrl(url: string): ParsedStoreUrl | string {
  if (!URL.canParse(url)) return 'is not a valid URL; expected file:///absolute/path or s3://bucket/prefix';
  const parsed = new URL(url);
  const invalid = (why: string): string => `'${shownUrl(url)}' ${why}`;
  if (parsed.username !== '' || parsed.password !== '') {
    return invalid(
      'holds credentials: credentials do not belong in the storage URL (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    );
  }
  if (parsed.search !== '' || parsed.hash !== '')
    return invalid('has a query or fragment, which is not supported');
  if (parsed.protocol === 'file:') {
    if (parsed.host !== '') return invalid('has a host; expected file:///absolute/path (no host)');
    return { kind: 'file', root: fileURLToPath(parsed) };
  }
  if (parsed.protocol === 's3:') {
    if (parsed.hostname === '') return invalid('names no bucket; expected s3://bucket/prefix');
    const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
    return { kind: 's3', bucket: parsed.hostname, prefix };
  }
  return invalid(
    `has the unsupported scheme "${parsed.protocol}"; expected file:///path or s3://bucket/prefix`,
  );
}

/** Why `url` cannot name a store, or null when it can: for checking the environment at start. */
export function storageUrlProblem(url: string): string | null {
  const parsed = parseStoreUrl(url);
  return typeof parsed === 'string' ? parsed : null;
}

/** Opens `file:///absolute/path` or `s3://bucket[/prefix]`. */
export function openStore(url: string, options: OpenStoreOptions = {}): ObjectStore {
  const parsed = parseStoreUrl(url);
  if (typeof parsed === 'string') {
    throw new StorageError(StorageErrorCode.InvalidArgument, `storage URL ${parsed}`);
  }
  const hook = options.onOperation === undefined ? {} : { onOperation: options.onOperation };
  if (parsed.kind === 'file') return new FsObjectStore({ ...options.fs, root: parsed.root, ...hook });
  return new S3ObjectStore({ ...options.s3, bucket: parsed.bucket, prefix: parsed.prefix, ...hook });
}

/**
 * Opens the store a role's environment names. A custom S3 endpoint is MinIO, Ceph, SeaweedFS,
 * moto…: they want path-style URLs, which AWS itself no longer needs.
 */
export function openConfiguredStore(
  settings: StoreSettings,
  options: { onOperation?: OperationHook } = {},
): ObjectStore {
  return openStore(settings.url, {
    s3: {
      ...(settings.s3Endpoint === null ? {} : { endpoint: settings.s3Endpoint, forcePathStyle: true }),
      ...(settings.s3Region === null ? {} : { region: settings.s3Region }),
    },
    ...(options.onOperation === undefined ? {} : { onOperation: options.onOperation }),
  });
}
