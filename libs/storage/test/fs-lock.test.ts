import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KeyLocks } from '../src/fs-lock.ts';

describe('KeyLocks', () => {
  let root = '';
  let locks: KeyLocks;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'condasync-fs-lock-'));
    locks = new KeyLocks(join(root, 'locks'), { staleMs: 10_000, timeoutMs: 2_000 });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('releases by moving the lock file, content and all, to the target', async () => {
    const target = join(root, 'meta/linux-64/a.conda');
    await locks.withLock(
      'linux-64/a.conda',
      async (lock) => {
        assert.deepEqual(await readdir(join(root, 'locks')), [lockName('linux-64/a.conda')]);
        await lock.releaseInto(target);
        await assert.rejects(lock.releaseInto(target), /already released/);
      },
      '{"v":1}',
    );
    assert.equal(await readFile(target, 'utf8'), '{"v":1}');
    assert.deepEqual(await readdir(join(root, 'locks')), []);
    // The key is free again at once: a second holder does not wait for staleness.
    const started = Date.now();
    await locks.withLock('linux-64/a.conda', async () => {});
    assert.ok(Date.now() - started < 1_000);
  });

  it('removes the lock file when the critical section fails without releasing', async () => {
    await assert.rejects(
      locks.withLock('noarch/b.json', async () => {
        throw new Error('precondition failed');
      }),
      /precondition failed/,
    );
    assert.deepEqual(await readdir(join(root, 'locks')), []);
  });

  it('writes who holds the lock when no content is given', async () => {
    await locks.withLock('noarch/c.json', async () => {
      const [name] = await readdir(join(root, 'locks'));
      assert.match(await readFile(join(root, 'locks', name!), 'utf8'), new RegExp(`^${process.pid}@`));
    });
  });
});

function lockName(key: string): string {
  return `${createHash('sha256').update(key).digest('hex')}.lock`;
}
