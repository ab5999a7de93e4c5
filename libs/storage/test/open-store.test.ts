import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FsObjectStore,
  openConfiguredStore,
  openStore,
  S3ObjectStore,
  StorageError,
  StorageErrorCode,
  storageUrlProblem,
} from '../src/index.ts';

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

describe('storageUrlProblem', () => {
  it('says why a URL names no store, without echoing credentials, and null for a good one', () => {
    assert.equal(storageUrlProblem('file:///srv/mirror'), null);
    assert.equal(storageUrlProblem('s3://bucket/prefix'), null);
    assert.match(storageUrlProblem('bogus://x') ?? '', /'bogus:\/\/x' has the unsupported scheme "bogus:"/);
    const secret = storageUrlProblem('s3://AKIA:hunter2@bucket/prefix') ?? '';
    assert.match(secret, /credentials do not belong/);
    assert.ok(!secret.includes('hunter2'), secret);
  });
});

describe('openConfiguredStore', () => {
  it('uses path-style addressing at a custom endpoint, and the region it is given', async () => {
    const store = openConfiguredStore({
      url: 's3://bucket/prefix',
      s3Endpoint: 'http://127.0.0.1:9000',
      s3Region: 'eu-west-1',
    });
    assert.ok(store instanceof S3ObjectStore);
    assert.equal(store.description, 's3://bucket/prefix at http://127.0.0.1:9000');
    await store.close();
    const folder = openConfiguredStore({ url: 'file:///tmp/condasync-x', s3Endpoint: null, s3Region: null });
    assert.ok(folder instanceof FsObjectStore);
    await folder.close();
  });
});
