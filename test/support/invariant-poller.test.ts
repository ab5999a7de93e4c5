import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { InvariantPoller, knownPackagesOf } from './invariant-poller.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

// The poller is what the fault tests trust: it must see each kind of violation it claims to.
describe('invariant poller', () => {
  let dir: string;
  let store: FsObjectStore;
  const good = Buffer.from('the real package bytes');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-poller-'));
    store = new FsObjectStore({ root: dir });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function put(key: string, bytes: Buffer): Promise<void> {
    await store.put(key, bytes, { size: bytes.length, sha256: sha256(bytes) });
  }
  const repodata = (record: { size: number; sha256: string }): Buffer =>
    Buffer.from(
      JSON.stringify({
        info: { subdir: 'noarch' },
        packages: {},
        'packages.conda': { 'a-1-0.conda': record },
      }),
    );

  test('a consistent store has no violations', async () => {
    await put('ok/noarch/a-1-0.conda', good);
    await put('ok/noarch/repodata.json', repodata({ size: good.length, sha256: sha256(good) }));
    const poller = new InvariantPoller({ store });
    await poller.checkOnce();
    assert.equal(poller.rounds, 1);
    assert.deepEqual(poller.violations, []);
  });

  test('a listed package that is missing, of another size or another sha256 is a violation', async () => {
    await put('missing/noarch/repodata.json', repodata({ size: good.length, sha256: sha256(good) }));
    await put('size/noarch/a-1-0.conda', Buffer.from('short'));
    await put('size/noarch/repodata.json', repodata({ size: good.length, sha256: sha256(good) }));
    const same = Buffer.from('x'.repeat(good.length));
    await put('hash/noarch/a-1-0.conda', same);
    await put('hash/noarch/repodata.json', repodata({ size: good.length, sha256: sha256(good) }));
    const poller = new InvariantPoller({ store });
    await poller.checkOnce();
    const text = poller.violations.join('\n');
    assert.match(text, /missing\/noarch\/repodata\.json lists a-1-0\.conda, which is not in the store/);
    assert.match(text, /size\/noarch\/a-1-0\.conda has 5 bytes/);
    assert.match(text, /hash\/noarch\/a-1-0\.conda has sha256 /);
  });

  test('a package key holding bytes of no known version is a violation even when unlisted', async () => {
    await put('partial/noarch/a-1-0.conda', good.subarray(0, 5));
    const known = knownPackagesOf([
      {
        subdir: 'noarch',
        repodata: JSON.parse(repodata({ size: good.length, sha256: sha256(good) }).toString()),
      },
    ]);
    const poller = new InvariantPoller({ store, knownPackages: known });
    await poller.checkOnce();
    assert.match(poller.violations.join('\n'), /partial\/noarch\/a-1-0\.conda holds 5 bytes/);
  });

  test('metadata versions are recorded with the time they were first seen', async () => {
    const poller = new InvariantPoller({ store });
    await poller.checkOnce();
    const from = Date.now();
    await put('ok/noarch/repodata.json', Buffer.from('{"packages":{},"packages.conda":{}}'));
    await poller.checkOnce();
    assert.deepEqual(
      poller.metadataChanges('ok', from).map((c) => c.key),
      ['ok/noarch/repodata.json'],
    );
  });
});
