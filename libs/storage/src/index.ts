export { abortedError, isStorageError, StorageError, StorageErrorCode } from './errors.ts';
export { FsObjectStore, type FsStoreOptions } from './fs-store.ts';
export { compareKeys, MAX_KEY_BYTES, RESERVED_KEY_PREFIX, validateKey, validatePrefix } from './keys.ts';
export type {
  ByteRange,
  ConditionalPutOptions,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  OperationHook,
  OperationOutcome,
  PutBody,
  PutOptions,
} from './object-store.ts';
export {
  type OpenStoreOptions,
  openConfiguredStore,
  openStore,
  type StoreSettings,
  storageUrlProblem,
} from './open-store.ts';
export { type ObjectPresigner, openPresigner, type PresignOptions } from './presign.ts';
export { probeStore } from './probe.ts';
export { type S3Logger, S3ObjectStore, type S3StoreOptions } from './s3-store.ts';
