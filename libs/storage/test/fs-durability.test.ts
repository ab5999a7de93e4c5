import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FsObjectStore, StorageErrorCode } from '../src/index.ts';
import { payload, putBytes, sha256 } from './contract-helpers.ts';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'condasync-fs-durability-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const KEY = 'linux-64/zlib-1.3-h0_0.conda';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Where the store keeps the sidecar it trusts, and the one of a put still waiting for its barrier. */
function sidecars(folder: string, key: string): { trusted: string; pending: string } {
  return {
    trusted: join(folder, '.condasync/fs-store/meta', key),
    pending: join(folder, '.condasync/fs-store/pending', key),
  };
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 5_000; await sleep(20)) {
    if (await condition()) return;
  }
  assert.fail(`timed out waiting until ${what}`);
}

// docs/design.md §5, invariant 2: a stored file is trusted only once it is known durable.
describe('FsObjectStore durability barrier', () => {
  it('trusts a put on disk only after the barrier; the writing store vouches for it meanwhile', async () => {
    const folder = join(root, 'barrier');
    const store = new FsObjectStore({ root: folder });
    const bytes = payload(2000);
    await putBytes(store, KEY, bytes);
    const paths = sidecars(folder, KEY);
    assert.equal(await exists(paths.trusted), false, 'no trusted sidecar before the barrier');
    assert.equal(await exists(paths.pending), true, 'a pending one, for recovery after a crash');
    // The object is in place (other processes see it) and this store knows what it verified.
    assert.equal((await store.head(KEY))?.sha256, sha256(bytes));

    await store.flush();
    assert.equal(await exists(paths.trusted), true, 'trusted once durable');
    assert.equal(await exists(paths.pending), false);
    assert.equal((await new FsObjectStore({ root: folder }).head(KEY))?.sha256, sha256(bytes));
  });

  it('re-hashes what a store left before its barrier: right bytes become trusted, torn ones are deleted', async () => {
    const folder = join(root, 'recovery');
    const crashed = new FsObjectStore({ root: folder });
    const good = payload(3000);
    const torn = payload(3001);
    await putBytes(crashed, 'noarch/good-1-0.conda', good);
    await putBytes(crashed, 'noarch/torn-1-0.conda', torn);
    // What a power cut may leave of bytes that never reached the disk: the right size, other bytes.
    await writeFile(join(folder, 'noarch/torn-1-0.conda'), Buffer.alloc(torn.byteLength));
    // `crashed` is abandoned without flush() or close(), as a killed process would be.

    const next = new FsObjectStore({ root: folder });
    const recovered = await next.head('noarch/good-1-0.conda');
    assert.equal(recovered?.sha256, sha256(good), 'verified again, so trusted again');
    assert.equal(await exists(sidecars(folder, 'noarch/good-1-0.conda').trusted), true);
    assert.equal(await next.head('noarch/torn-1-0.conda'), null, 'deleted: the next sync fetches it again');
    assert.deepEqual(await readdir(join(folder, '.condasync/fs-store/pending/noarch')), []);
  });

  it('runs a barrier by itself after maxPendingObjects puts or maxPendingMs', async () => {
    const byCount = join(root, 'by-count');
    const counted = new FsObjectStore({ root: byCount, maxPendingObjects: 3, maxPendingMs: 600_000 });
    for (const name of ['a', 'b']) await putBytes(counted, `noarch/${name}-1-0.conda`, payload(10));
    assert.equal(await exists(sidecars(byCount, 'noarch/a-1-0.conda').trusted), false, 'two puts wait');
    await putBytes(counted, 'noarch/c-1-0.conda', payload(10));
    await waitFor(() => exists(sidecars(byCount, 'noarch/c-1-0.conda').trusted), 'the third put is trusted');

    const byAge = join(root, 'by-age');
    const aged = new FsObjectStore({ root: byAge, maxPendingMs: 50 });
    await putBytes(aged, 'noarch/d-1-0.conda', payload(10));
    await waitFor(() => exists(sidecars(byAge, 'noarch/d-1-0.conda').trusted), 'the put is trusted');
  });

  it('makes earlier puts durable before a delete, a conditional put, or close', async () => {
    const folder = join(root, 'ordering');
    const store = new FsObjectStore({ root: folder, maxPendingMs: 600_000 });
    await putBytes(store, 'noarch/first-1-0.conda', payload(10));
    assert.equal(await exists(sidecars(folder, 'noarch/first-1-0.conda').trusted), false);
    await store.delete('noarch/other-1-0.conda');
    assert.equal(await exists(sidecars(folder, 'noarch/first-1-0.conda').trusted), true, 'before a delete');

    await putBytes(store, 'noarch/second-1-0.conda', payload(11));
    const index = Buffer.from('{}');
    await store.putConditional('noarch/repodata.json', index, {
      size: index.byteLength,
      sha256: sha256(index),
      ifNoneMatch: '*',
    });
    assert.equal(await exists(sidecars(folder, 'noarch/second-1-0.conda').trusted), true, 'before it');

    await putBytes(store, 'noarch/third-1-0.conda', payload(12));
    await store.close();
    assert.equal(await exists(sidecars(folder, 'noarch/third-1-0.conda').trusted), true, 'on close');
  });

  it('without a `sync` program to run, a barrier fsyncs its own objects and folders instead', async () => {
    const folder = join(root, 'no-sync-program');
    const store = new FsObjectStore({ root: folder });
    await putBytes(store, KEY, payload(10));
    const path = process.env.PATH;
    process.env.PATH = join(folder, 'no-programs-here');
    try {
      await store.flush();
    } finally {
      process.env.PATH = path;
    }
    assert.equal(await exists(sidecars(folder, KEY).trusted), true);
  });

  it('with fsync: false trusts a put at once and flush() has nothing to do', async () => {
    const folder = join(root, 'no-fsync');
    const store = new FsObjectStore({ root: folder, fsync: false });
    await putBytes(store, KEY, payload(10));
    assert.equal(await exists(sidecars(folder, KEY).trusted), true);
    await store.flush();
    assert.equal(await exists(join(folder, '.condasync/fs-store/pending')), false);
  });

  it('refuses barrier limits that are not positive integers, naming the option', () => {
    for (const bad of [0, -1, 1.5]) {
      assert.throws(
        () => new FsObjectStore({ root: join(root, 'bad'), maxPendingObjects: bad }),
        (error: Error & { code?: string }) =>
          error.code === StorageErrorCode.InvalidArgument && /maxPendingObjects/.test(error.message),
      );
    }
    assert.throws(() => new FsObjectStore({ root: join(root, 'bad'), maxPendingMs: 0 }), /maxPendingMs/);
  });
});
