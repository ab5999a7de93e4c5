import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { openStore, S3ObjectStore, type S3StoreOptions, StorageErrorCode } from '../src/index.ts';
import { runObjectStoreContract } from './contract.ts';
import {
  chunked,
  collect,
  getBytes,
  payload,
  putBytes,
  readAll,
  rejectsWith,
  sha256,
} from './contract-helpers.ts';

const MiB = 1024 * 1024;
const endpoint = process.env['CONDASYNC_TEST_S3_ENDPOINT'];
const missingEndpoint =
  'CONDASYNC_TEST_S3_ENDPOINT is not set: the S3 tests need a real S3 server. Start moto ' +
  '(moto_server -H 127.0.0.1 -p <port>) and set CONDASYNC_TEST_S3_ENDPOINT=http://127.0.0.1:<port>';
const bucket = `condasync-test-${randomUUID().slice(0, 13)}`;
const connection = {
  endpoint: endpoint ?? 'http://127.0.0.1:1',
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  forcePathStyle: true,
};
/** Small multipart settings, so the contract's 12 MiB object goes up in three parts. */
const storeOptions: S3StoreOptions = {
  ...connection,
  bucket,
  prefix: 'contract/run',
  multipartThreshold: 5 * MiB,
  partSize: 5 * MiB,
};
const admin = new S3Client({ ...connection, requestChecksumCalculation: 'WHEN_REQUIRED' });

it('has an S3 endpoint to test against', () => {
  assert.ok(endpoint, missingEndpoint);
});

before(async () => {
  if (!endpoint) throw new Error(missingEndpoint);
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
});
after(() => admin.destroy());

runObjectStoreContract(
  's3 (moto)',
  async (hooks) => {
    if (!endpoint) throw new Error(missingEndpoint);
    return new S3ObjectStore({ ...storeOptions, ...hooks });
  },
  { atomicConditionalWrites: false },
);

describe('S3ObjectStore specifics', () => {
  let store: S3ObjectStore;
  before(() => {
    store = new S3ObjectStore({ ...storeOptions, prefix: 'specifics' });
  });
  after(() => store.close());

  it('writes under the prefix with the sha256 as x-amz-meta-sha256 and the checksum header', async () => {
    const bytes = payload(1000);
    await putBytes(store, 'noarch/a-1.0-0.conda', bytes);
    const raw = await admin.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'specifics/noarch/a-1.0-0.conda' }),
    );
    assert.equal(raw.Metadata?.['sha256'], sha256(bytes));
    assert.deepEqual(Buffer.from(await raw.Body!.transformToByteArray()), bytes);
    assert.match(store.description, new RegExp(`^s3://${bucket}/specifics at http://127\\.0\\.0\\.1:\\d+$`));
    assert.ok(!store.description.includes('test@'), 'no credentials in the description');
  });

  it('uploads large objects in parts (multipart ETag) and leaves no upload behind on failure', async () => {
    const bytes = payload(11 * MiB);
    const put = await putBytes(store, 'big/ok.conda', bytes);
    assert.match(put.etag, /-3"$/, `multipart ETag, got ${put.etag}`);
    await rejectsWith(
      store.put('big/bad.conda', chunked(bytes, [MiB]), {
        size: bytes.byteLength,
        sha256: sha256(payload(1)),
      }),
      StorageErrorCode.ChecksumMismatch,
    );
    const controller = new AbortController();
    async function* abortAfterTwoParts() {
      yield bytes.subarray(0, 10 * MiB);
      controller.abort();
      yield bytes.subarray(10 * MiB);
    }
    await rejectsWith(
      store.put('big/aborted.conda', abortAfterTwoParts(), {
        size: bytes.byteLength,
        sha256: sha256(bytes),
        signal: controller.signal,
      }),
      StorageErrorCode.Aborted,
    );
    const uploads = await admin.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'specifics/big/' }),
    );
    assert.deepEqual(uploads.Uploads ?? [], []);
    assert.equal(await store.head('big/bad.conda'), null);
    assert.equal(await store.head('big/aborted.conda'), null);
  });

  it('reports objects written by other tools without a sha256', async () => {
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'specifics/foreign.json', Body: '{}' }));
    const info = await store.head('foreign.json');
    assert.equal(info?.size, 2);
    assert.equal(info?.sha256, undefined);
    const listed = await collect(store.list('foreign'));
    assert.deepEqual(
      listed.map((item) => item.key),
      ['foreign.json'],
    );
  });

  it('maps a missing bucket to BACKEND naming the error, and is opened from an s3:// URL', async () => {
    const missing = new S3ObjectStore({ ...storeOptions, bucket: `missing-${randomUUID().slice(0, 8)}` });
    try {
      // HEAD cannot tell a missing bucket from a missing key (a bare 404), GET and LIST can.
      assert.equal(await missing.head('x'), null);
      await rejectsWith(missing.get('x'), StorageErrorCode.Backend, ['"x"', 'NoSuchBucket']);
      await rejectsWith(collect(missing.list('')), StorageErrorCode.Backend, ['NoSuchBucket']);
    } finally {
      await missing.close();
    }
    const opened = openStore(`s3://${bucket}/specifics`, { s3: connection });
    try {
      const got = await opened.get('noarch/a-1.0-0.conda', { range: { start: 0, end: 9 } });
      assert.ok(got !== null);
      assert.equal((await readAll(got.body)).byteLength, 10);
      assert.equal(got.info.size, 1000);
      assert.equal((await getBytes(opened, 'foreign.json'))?.toString(), '{}');
    } finally {
      await opened.close();
    }
  });
});
