import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { isStorageError, S3ObjectStore, StorageErrorCode } from '@condasync/storage';
import { FaultWorld } from '../support/fault-world.ts';
import { testS3Credentials } from '../support/services.ts';

// docs/design.md §5 invariants 1, 2 and 5 under S3 faults injected by a proxy in front of the real S3
// server, during a distributed sync (two worker processes). The invariant poller reads the bucket
// directly all along.
describe('S3 faults during a distributed sync', { timeout: 150_000 }, () => {
  let world: FaultWorld;

  before(async () => {
    world = await FaultWorld.create({ name: 'faults-s3' });
    await world.startWorkers(2);
  });
  afterEach(() => {
    world.proxy.clear();
  });
  after(async () => {
    await world.close();
  });

  test('SlowDown and resets on package HEADs and uploads, slow bodies: the sync ends with reasons, a re-run converges', async () => {
    // Package objects only: faults on the metadata writes are the next test's subject (a
    // refused publish still changes the published .zst today: docs/reliability.md).
    const packages = /\.(conda|tar\.bz2)$/;
    for (const method of ['HEAD', 'PUT', 'GET']) {
      world.proxy.inject({ kind: 'slowdown', method, path: packages, probability: 0.2 });
      world.proxy.inject({ kind: 'reset', method, path: packages, probability: 0.1 });
    }
    world.proxy.inject({ kind: 'slow-body', method: 'GET', probability: 0.2, bytesPerSecond: 256 * 1024 });
    const id = await world.submit('storm');
    const view = await world.harness.waitForEnd(id, 60_000);
    const injected = { ...world.proxy.injected };
    world.proxy.clear();
    assert.ok(injected.slowdown + injected.reset > 0, `faults were injected: ${JSON.stringify(injected)}`);
    assert.ok(['succeeded', 'partial', 'failed'].includes(view.status), JSON.stringify(view));
    if (view.status === 'partial') {
      assert.ok(
        view.failures.length > 0 && view.failures.every((f) => f.reason !== ''),
        JSON.stringify(view),
      );
    }
    if (view.status === 'failed') {
      assert.ok(view.error, `a failed sync says why: ${JSON.stringify(view)}`);
      assert.deepEqual(await world.metadataSnapshot('storm'), {}, 'a failed first sync published nothing');
    }
    const rerun = await world.harness.waitForEnd(await world.submit('storm'), 60_000);
    assert.equal(rerun.status, 'succeeded', JSON.stringify(rerun));
    await world.assertPublishedInFull('storm');
    await world.assertNoViolations();
  });

  test('a package whose HEAD S3 refuses every time fails alone with a reason; the sync ends partial', async () => {
    world.proxy.inject({
      kind: 'slowdown',
      method: 'HEAD',
      path: /\/headless\/noarch\/versioned-1\.0-0\.conda$/,
    });
    const view = await world.harness.waitForEnd(await world.submit('headless'), 60_000);
    assert.ok(world.proxy.injected.slowdown > 0);
    assert.equal(view.status, 'partial', JSON.stringify(view));
    assert.deepEqual(
      view.failures.map((f) => f.filename),
      ['versioned-1.0-0.conda'],
    );
    assert.match(view.failures[0]!.reason, /SlowDown|503/);
    await world.assertNoViolations();
  });

  test('uploads cut halfway through never leave a partial package object; the sync converges', async () => {
    world.proxy.inject({ kind: 'reset-mid-upload', method: 'PUT', path: /\.conda$/, times: 6 });
    const id = await world.submit('cut');
    const view = await world.harness.waitForEnd(id, 60_000);
    assert.equal(world.proxy.injected['reset-mid-upload'], 6, 'six uploads were cut');
    world.proxy.clear();
    const final =
      view.status === 'succeeded' ? view : await world.harness.waitForEnd(await world.submit('cut'), 60_000);
    assert.equal(
      final.status,
      'succeeded',
      `first run: ${JSON.stringify(view)}\nre-run: ${JSON.stringify(final)}`,
    );
    await world.assertPublishedInFull('cut');
    await world.assertNoViolations();
  });

  test('a 412 on a conditional write is PRECONDITION_FAILED and leaves the object as it was', async () => {
    const bucket = /^s3:\/\/([^/]+)\//.exec(world.harness.env.CONDASYNC_STORAGE_URL!)![1]!;
    const store = new S3ObjectStore({
      bucket,
      prefix: 'mirror',
      endpoint: world.proxy.url,
      region: testS3Credentials.region,
      credentials: {
        accessKeyId: testS3Credentials.accessKeyId,
        secretAccessKey: testS3Credentials.secretAccessKey,
      },
      forcePathStyle: true,
    });
    try {
      const published = await world.harness.waitForEnd(await world.submit('refused'), 60_000);
      assert.equal(published.status, 'succeeded', JSON.stringify(published));
      const original = await store.head('refused/noarch/repodata.json');
      assert.ok(original);
      world.proxy.inject({ kind: 'precondition', times: 1 });
      const body = Buffer.from('{"packages":{}}');
      const { createHash } = await import('node:crypto');
      const sha256 = createHash('sha256').update(body).digest('hex');
      await assert.rejects(
        store.putConditional('refused/noarch/repodata.json', body, {
          size: body.length,
          sha256,
          ifMatch: original.etag,
        }),
        (error) => isStorageError(error) && error.code === StorageErrorCode.PreconditionFailed,
      );
      assert.equal(world.proxy.injected.precondition, 1);
      assert.equal((await store.head('refused/noarch/repodata.json'))?.etag, original.etag);
      await world.assertPublishedInFull('refused');
    } finally {
      world.proxy.clear();
      await store.close();
    }
  });
});
