import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { FsObjectStore, openStore, StorageErrorCode } from '../src/index.ts';
import { runObjectStoreContract } from './contract.ts';
import { collect, getBytes, payload, putBytes, rejectsWith, sha256 } from './contract-helpers.ts';

const execFileAsync = promisify(execFile);

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'condasync-fs-store-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

runObjectStoreContract('filesystem', async (hooks) => new FsObjectStore({ root, ...hooks }), {
  atomicConditionalWrites: true,
});

describe('FsObjectStore specifics', () => {
  let store: FsObjectStore;
  before(() => {
    store = new FsObjectStore({ root: join(root, 'specifics'), lockStaleMs: 500, lockTimeoutMs: 3000 });
  });

  it('keeps objects at <root>/<key>, leaves no temp files, and hides its bookkeeping from list', async () => {
    const bytes = payload(1000);
    await putBytes(store, 'linux-64/zlib-1.3-h0_0.conda', bytes);
    await rejectsWith(
      store.put('linux-64/bad.conda', bytes, { size: 1000, sha256: sha256(payload(1)) }),
      StorageErrorCode.ChecksumMismatch,
    );
    assert.deepEqual(await readFile(join(root, 'specifics/linux-64/zlib-1.3-h0_0.conda')), bytes);
    assert.deepEqual(await readdir(join(root, 'specifics/.condasync/fs-store/tmp')), []);
    const keys = (await collect(store.list(''))).map((info) => info.key);
    assert.deepEqual(keys, ['linux-64/zlib-1.3-h0_0.conda']);
    assert.equal(store.description, `file://${root}/specifics`);
  });

  it('serves files copied in by other tools, with a stat-derived ETag and no sha256', async () => {
    await writeFile(join(root, 'specifics/linux-64/copied.conda'), 'copied');
    const info = await store.head('linux-64/copied.conda');
    assert.ok(info !== null);
    assert.equal(info.size, 6);
    assert.equal(info.sha256, undefined);
    assert.match(info.etag, /^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    // Rewriting the file behind the store's back changes the ETag, so ifMatch cannot go stale silently.
    await writeFile(join(root, 'specifics/linux-64/copied.conda'), 'changed');
    assert.notEqual((await store.head('linux-64/copied.conda'))?.etag, info.etag);
  });

  it('ignores a sidecar that describes another version of the file', async () => {
    const bytes = payload(10);
    const put = await putBytes(store, 'noarch/replaced.json', bytes);
    assert.equal(put.etag, `"${sha256(bytes)}"`);
    await writeFile(join(root, 'specifics/noarch/replaced.json'), 'other bytes');
    const info = await store.head('noarch/replaced.json');
    assert.equal(info?.sha256, undefined);
    assert.notEqual(info?.etag, put.etag);
  });

  it('breaks a lock file left by a crashed process once it is stale', async () => {
    const key = 'noarch/locked.json';
    const { createHash } = await import('node:crypto');
    const lockPath = join(
      root,
      'specifics/.condasync/fs-store/locks',
      `${createHash('sha256').update(key).digest('hex')}.lock`,
    );
    await writeFile(lockPath, 'crashed', { flag: 'wx' });
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    const bytes = Buffer.from('{}');
    await store.putConditional(key, bytes, { size: 2, sha256: sha256(bytes), ifNoneMatch: '*' });
    assert.deepEqual(await getBytes(store, key), bytes);
    await assert.rejects(stat(lockPath), { code: 'ENOENT' });
  });

  it('times out on a fresh lock held by someone else, naming the key', async () => {
    const slow = new FsObjectStore({
      root: join(root, 'specifics'),
      lockStaleMs: 60_000,
      lockTimeoutMs: 200,
    });
    const key = 'noarch/busy.json';
    const { createHash } = await import('node:crypto');
    const lockPath = join(
      root,
      'specifics/.condasync/fs-store/locks',
      `${createHash('sha256').update(key).digest('hex')}.lock`,
    );
    await writeFile(lockPath, 'alive', { flag: 'wx' });
    const bytes = Buffer.from('{}');
    await rejectsWith(
      slow.putConditional(key, bytes, { size: 2, sha256: sha256(bytes), ifNoneMatch: '*' }),
      StorageErrorCode.Backend,
      [key],
    );
    assert.equal(await slow.head(key), null);
    await rm(lockPath);
  });

  it('fails clearly when a key needs a folder where an object is', async () => {
    await putBytes(store, 'conflict/a', payload(3));
    await rejectsWith(putBytes(store, 'conflict/a/b', payload(3)), StorageErrorCode.Backend, [
      'conflict/a/b',
    ]);
    assert.equal(await store.head('conflict/a/b'), null);
    assert.equal((await store.head('conflict/a'))?.size, 3);
  });

  it('lets exactly one of several processes win each conditional create', async () => {
    const processes = 4;
    const keys = 20;
    const startAt = Date.now() + 1500; // all children start writing at the same moment
    const script = `
      import { FsObjectStore } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/index.ts')).href)};
      import { createHash } from 'node:crypto';
      const store = new FsObjectStore({ root: process.argv[1] });
      const won = [];
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, ${startAt} - Date.now())));
      await Promise.all(Array.from({ length: ${keys} }, async (_, index) => {
        const body = Buffer.from(process.pid + ':' + index);
        const sha256 = createHash('sha256').update(body).digest('hex');
        try {
          await store.putConditional('race/key-' + index, body, { size: body.length, sha256, ifNoneMatch: '*' });
          won.push(index);
        } catch (error) {
          if (error.code !== 'PRECONDITION_FAILED') throw error;
        }
      }));
      process.stdout.write(JSON.stringify({ pid: process.pid, won }));
    `;
    const children = Array.from({ length: processes }, () =>
      execFileAsync(process.execPath, ['--input-type=module', '--eval', script, join(root, 'specifics')]),
    );
    const results = (await Promise.all(children)).map(
      ({ stdout }) => JSON.parse(stdout) as { pid: number; won: number[] },
    );
    for (let index = 0; index < keys; index++) {
      const winners = results.filter((result) => result.won.includes(index));
      assert.equal(
        winners.length,
        1,
        `key ${index}: winners ${winners.map((winner) => winner.pid).join(',')}`,
      );
      assert.equal((await getBytes(store, `race/key-${index}`))?.toString(), `${winners[0]!.pid}:${index}`);
    }
  });

  it('is opened from a file:// URL', async () => {
    const opened = openStore(`file://${root}/specifics`);
    assert.equal(opened.description, store.description);
    assert.equal((await opened.head('linux-64/zlib-1.3-h0_0.conda'))?.size, 1000);
  });
});
