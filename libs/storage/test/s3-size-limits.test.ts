import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, testS3Store } from '../../../test/support/s3-bucket.ts';
import { testS3Credentials, testS3Endpoint } from '../../../test/support/services.ts';
import { type S3ObjectStore, StorageErrorCode } from '../src/index.ts';
import { rejectsWith } from './contract-helpers.ts';

const SHA = 'ab'.repeat(32);
/** MAX_BUFFERED_PART_BYTES of s3-store.ts, as docs/deployment.md states it. */
const MAX_BUFFERED_PART_BYTES = 64 * 1024 * 1024;

describe('S3ObjectStore and the size a caller claims', () => {
  let store: S3ObjectStore;
  let bucket: string;
  before(async () => {
    bucket = (await createTestBucket('size-limits')).bucket;
    store = testS3Store(bucket, 'limits');
  });
  after(() => store.close());

  it('refuses, before any I/O, a size no part size within 10 000 parts can hold in bounded memory', async () => {
    const limit = 10_000 * MAX_BUFFERED_PART_BYTES;
    for (const size of [3e13, limit + 1]) {
      // It must be released, never read (were it read, a few MiB then its end make a clean failure).
      let reads = 0;
      const source = new Readable({
        read() {
          reads += 1;
          this.push(reads > 4 ? null : Buffer.alloc(1024 * 1024));
        },
      });
      await rejectsWith(
        store.put('huge/claimed.conda', source, { size, sha256: SHA }),
        StorageErrorCode.InvalidArgument,
        [`${size} bytes is more than`, `at most ${limit} bytes`],
      );
      assert.equal(source.destroyed, true, 'the body was released');
      assert.ok(reads <= 1, `the body was read ${reads} times`);
    }
    const admin = new S3Client({
      endpoint: testS3Endpoint(),
      region: testS3Credentials.region,
      forcePathStyle: true,
      credentials: testS3Credentials,
    });
    try {
      const uploads = await admin.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'limits/' }),
      );
      assert.deepEqual(uploads.Uploads ?? [], [], 'no multipart upload was started');
    } finally {
      admin.destroy();
    }
  });
});
