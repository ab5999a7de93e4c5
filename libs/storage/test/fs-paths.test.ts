import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DirectorySync } from '../src/fs-paths.ts';

/** An fsync stand-in whose calls finish only when the test says so, to observe the ordering. */
function controllableFsync() {
  const calls: Array<{ directory: string; finish: (error?: Error) => void }> = [];
  const fsync = (directory: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ directory, finish: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  return { calls, fsync };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('DirectorySync', () => {
  it('makes callers that arrive during an fsync wait for one fsync that starts after them', async () => {
    const { calls, fsync } = controllableFsync();
    const syncer = new DirectorySync(fsync);
    const done: string[] = [];
    const first = syncer.sync('/m/linux-64').then(() => done.push('first'));
    await settled();
    assert.equal(calls.length, 1);
    // These renames happened after the first fsync began, so it may not cover them.
    const late = [1, 2, 3].map((n) => syncer.sync('/m/linux-64').then(() => done.push(`late${n}`)));
    await settled();
    assert.equal(calls.length, 1, 'no second fsync while the first is in flight');
    calls[0]!.finish();
    await first;
    await settled();
    assert.deepEqual(done, ['first'], 'late callers are not released by the earlier fsync');
    assert.equal(calls.length, 2, 'one shared fsync for the three late callers');
    calls[1]!.finish();
    await Promise.all(late);
    assert.deepEqual(done, ['first', 'late1', 'late2', 'late3']);
  });

  it('keeps folders apart and passes an fsync failure to every caller sharing it', async () => {
    const { calls, fsync } = controllableFsync();
    const syncer = new DirectorySync(fsync);
    const a = syncer.sync('/m/a');
    const b = syncer.sync('/m/b');
    await settled();
    assert.deepEqual(
      calls.map((call) => call.directory),
      ['/m/a', '/m/b'],
    );
    const sharedA = syncer.sync('/m/a');
    const sharedA2 = syncer.sync('/m/a');
    calls[0]!.finish();
    calls[1]!.finish();
    await Promise.all([a, b]);
    await settled();
    calls[2]!.finish(new Error('EIO: disk on fire'));
    await assert.rejects(sharedA, /disk on fire/);
    await assert.rejects(sharedA2, /disk on fire/);
    // A failure is not remembered: the next caller gets a fresh fsync.
    const again = syncer.sync('/m/a');
    await settled();
    assert.equal(calls.length, 4);
    calls[3]!.finish();
    await again;
  });

  it('fsyncs a real folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'condasync-dirsync-'));
    try {
      const syncer = new DirectorySync();
      await Promise.all(Array.from({ length: 8 }, () => syncer.sync(dir)));
      await assert.rejects(syncer.sync(join(dir, 'missing')), { code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
