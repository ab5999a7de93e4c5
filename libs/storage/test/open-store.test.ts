import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FsObjectStore, openStore, S3ObjectStore, StorageError, StorageErrorCode } from '../src/index.ts';

function invalidArgument(url: string): string {
  try {
    openStore(url);
  } catch (error) {
    assert.ok(error instanceof StorageError, String(error));
    assert.equal(error.code, StorageErrorCode.InvalidArgument);
    return error.message;
  }
  assert.fail(`openStore(${url}) should fail`);
}

describe('openStore', () => {
  it('opens file:// URLs as filesystem stores', async () => {
    const store = openStore('file:///tmp/condasync%20mirror');
    assert.ok(store instanceof FsObjectStore);
    assert.equal(store.description, 'file:///tmp/condasync%20mirror');
    await store.close();
  });

  it('opens s3:// URLs with the bucket and an optional prefix, without secrets in the description', async () => {
    const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret' };
    const store = openStore('s3://mirror-bucket/conda/prod/', {
      s3: { endpoint: 'http://127.0.0.1:9000', credentials, forcePathStyle: true },
    });
    assert.ok(store instanceof S3ObjectStore);
    assert.equal(store.description, 's3://mirror-bucket/conda/prod at http://127.0.0.1:9000');
    assert.ok(!store.description.includes('very-secret'));
    await store.close();
    const bare = openStore('s3://mirror-bucket', { s3: { credentials } });
    assert.equal(bare.description, 's3://mirror-bucket');
    await bare.close();
  });

  it('rejects unsupported schemes, relative or hosted file URLs, and URLs carrying credentials', () => {
    assert.match(invalidArgument('https://example.com/mirror'), /unsupported scheme "https:"/);
    assert.match(invalidArgument('file://server/share'), /no host/);
    assert.match(invalidArgument('not a url'), /not a valid URL/);
    const withSecret = invalidArgument('s3://AKIA:hunter2@bucket/prefix');
    assert.match(withSecret, /credentials do not belong/);
    assert.ok(!withSecret.includes('hunter2'), withSecret);
    assert.match(invalidArgument('s3://Bad_Bucket/x'), /bucket/);
    assert.match(invalidArgument('s3://bucket/a//b'), /invalid S3 prefix: invalid key "a\/\/b"/);
  });
});
