import { createRequire } from 'node:module';

type S3Sdk = typeof import('@aws-sdk/client-s3');

const require = createRequire(import.meta.url);
let sdk: S3Sdk | undefined;

/**
 * The AWS SDK's S3 client, loaded when the first S3 store is made: importing the storage library
 * for a folder store (every `condasync sync` into a mirror_dir) must not pay the SDK's start-up.
 */
export function s3Sdk(): S3Sdk {
  sdk ??= require('@aws-sdk/client-s3') as S3Sdk;
  return sdk;
}
