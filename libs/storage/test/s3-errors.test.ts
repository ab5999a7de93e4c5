import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageError, StorageErrorCode } from '../src/index.ts';
import { isS3NotFound, mapS3Error } from '../src/s3-errors.ts';

/** The shape the SDK gives service errors: a name (the S3 error code) and the HTTP status. */
function sdkError(name: string, status: number, message = 'from the store'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('mapS3Error', () => {
  const cases: [Error, StorageErrorCode][] = [
    [sdkError('BadDigest', 400), StorageErrorCode.ChecksumMismatch],
    [sdkError('InvalidDigest', 400), StorageErrorCode.ChecksumMismatch],
    [sdkError('XAmzContentSHA256Mismatch', 400), StorageErrorCode.ChecksumMismatch],
    [sdkError('IncompleteBody', 400), StorageErrorCode.SizeMismatch],
    [sdkError('PreconditionFailed', 412), StorageErrorCode.PreconditionFailed],
    [sdkError('ConditionalRequestConflict', 409), StorageErrorCode.PreconditionFailed],
    [sdkError('Unknown', 412), StorageErrorCode.PreconditionFailed],
    [sdkError('InvalidRange', 416), StorageErrorCode.RangeNotSatisfiable],
    [sdkError('SlowDown', 503), StorageErrorCode.Backend],
    [sdkError('AccessDenied', 403), StorageErrorCode.Backend],
    [Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), StorageErrorCode.Aborted],
  ];
  for (const [error, code] of cases) {
    it(`maps ${error.name} to ${code}, naming the key and the S3 error, keeping the cause`, () => {
      const mapped = mapS3Error(error, 'put', 'noarch/x-1.0-0.conda', 's3://bucket/prefix');
      assert.ok(mapped instanceof StorageError);
      assert.equal(mapped.code, code);
      assert.equal(mapped.cause, error);
      assert.equal(mapped.key, 'noarch/x-1.0-0.conda');
      assert.match(mapped.message, /"noarch\/x-1\.0-0\.conda" on s3:\/\/bucket\/prefix/);
      assert.ok(mapped.message.includes(error.name), mapped.message);
    });
  }

  it('passes StorageErrors through unchanged', () => {
    const original = new StorageError(StorageErrorCode.SizeMismatch, 'short');
    assert.equal(mapS3Error(original, 'put', 'k', 'here'), original);
  });

  it('treats NoSuchKey and a bare 404 as "absent", but not NoSuchBucket', () => {
    assert.equal(isS3NotFound(sdkError('NoSuchKey', 404)), true);
    assert.equal(isS3NotFound(sdkError('NotFound', 404)), true);
    assert.equal(isS3NotFound(sdkError('NoSuchBucket', 404)), false);
    assert.equal(isS3NotFound(sdkError('AccessDenied', 403)), false);
  });
});
