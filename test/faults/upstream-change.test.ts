import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaultWorld, TEST_RECIPES } from '../support/fault-world.ts';

type Repodata = {
  packages: Record<string, unknown>;
  'packages.conda': Record<string, { size: number; sha256: string }>;
};

// The upstream publishes a new repodata.json while a sync of it runs: one package removed, and one
// re-uploaded with other bytes (a hotfix rebuild under the same file name). Whatever the sync
// publishes must be consistent (every listed package stored with the listed size and sha256), and
// a re-run converges to the new upstream.
describe('upstream repodata changing during a sync', { timeout: 120_000 }, () => {
  let root: string;
  let world: FaultWorld;
  let changed: Repodata;
  const replaced = 'versioned-2.0-0.conda';
  const removed = 'clobber-b-1.0-0.conda';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'condasync-upstream-change-'));
    await cp(join(TEST_RECIPES, 'noarch'), join(root, 'noarch'), { recursive: true });
    const original = JSON.parse(await readFile(join(root, 'noarch', 'repodata.json'), 'utf8')) as Repodata;
    // The re-uploaded file gets another package's bytes: a real archive, another sha256 and size.
    const newBytes = await readFile(join(root, 'noarch', 'versioned-1.0-0.conda'));
    changed = structuredClone(original);
    delete changed['packages.conda'][removed];
    changed['packages.conda'][replaced] = {
      ...changed['packages.conda'][replaced]!,
      size: newBytes.length,
      sha256: createHash('sha256').update(newBytes).digest('hex'),
    };
    world = await FaultWorld.create({ name: 'faults-upstream-change', root, extraRepodata: [changed] });
    await world.startWorkers(2);
  });
  after(async () => {
    await world?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('what gets published is consistent, and a re-run publishes the new upstream in full', async () => {
    world.slowDownUpstream(3000);
    const id = await world.submit('moving');
    await world.harness.waitFor(id, (v) => v.status === 'downloading' && v.counts.downloaded >= 3);

    // The upstream changes under the running sync: the file first, then its index.
    await writeFile(
      join(root, 'noarch', replaced),
      await readFile(join(root, 'noarch', 'versioned-1.0-0.conda')),
    );
    await writeFile(join(root, 'noarch', 'repodata.json'), JSON.stringify(changed));
    world.upstream.clearFaults();

    const view = await world.harness.waitForEnd(id, 60_000);
    assert.ok(['succeeded', 'partial'].includes(view.status), JSON.stringify(view));
    if (view.status === 'partial') {
      // The sync planned the old sha256; the bytes it fetched have the new one: refused, with a reason.
      assert.deepEqual(
        view.failures.map((f) => f.filename),
        [replaced],
        JSON.stringify(view.failures),
      );
      assert.match(view.failures[0]!.reason, /expected \d+ bytes|sha256|checksum/i);
    }
    await world.assertNoViolations();

    const rerun = await world.harness.waitForEnd(await world.submit('moving'), 60_000);
    assert.equal(rerun.status, 'succeeded', JSON.stringify(rerun));
    await world.assertPublishedInFull('moving', root);
    await world.assertNoViolations();
  });
});
