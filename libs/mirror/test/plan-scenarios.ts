import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SyncReport } from '../src/sync-report.ts';
import { copyChannel, fixturesRoot, scratch, syncInto, testConfig, testRecipes } from './sync-helpers.ts';

/*
 * What planning decides for real fixture channels under each kind of filter, and the bytes a sync
 * then publishes: the observable result of the plan, recorded once from the code before the plan
 * held records compactly (test/fixtures/plan-golden.json, written by `node
 * libs/mirror/test/write-plan-golden.ts`) and compared with on every run.
 */

const pytorch = pathToFileURL(join(fixturesRoot, 'rattler/test-data/channels/pytorch')).href;
const dummy = pathToFileURL(join(fixturesRoot, 'rattler/test-data/channels/dummy')).href;

/** Dry-run plans of the pytorch channel (2 181 records), by the filters they apply. */
const DRY_RUNS: Record<string, Record<string, unknown>> = {
  everything: {},
  'blacklist, whitelist, license_blacklist, python_versions': {
    blacklist: ['ignite-nightly', { name: 'torchvision', version: '<0.10' }, 'faiss-*'],
    whitelist: ['faiss-cpu 1.7.*'],
    license_blacklist: ['MIT'],
    python_versions: ['3.8', '3.9'],
  },
  'pkg_list with include_dependencies': {
    pkg_list: ['torchvision >=0.14', 'torchaudio'],
    include_dependencies: true,
    python_versions: ['3.10'],
  },
  'pkg_list alone': { pkg_list: ['pytorch 1.13.*'] },
};

/**
 * What a report says of the plan: its counts as they are, and every addition, removal, collision,
 * refused record and unresolved dependency as one digest, with the machine's paths replaced so the
 * digest is the same on every machine.
 */
function stable(report: SyncReport, scratchDir: string): unknown {
  const { status, excluded, additions, removals, collisions, rejected, unresolved } = report;
  const subdirs = report.subdirs.map((s) => [
    s.subdir,
    s.selected,
    s.toDownload,
    s.present,
    s.toRemove,
    s.published,
  ]);
  const text = JSON.stringify({ additions, removals, collisions, rejected, unresolved })
    .replaceAll(pathToFileURL(fixturesRoot).href, 'FIXTURES')
    .replaceAll(pathToFileURL(scratchDir).href, 'SCRATCH');
  return { status, excluded, subdirs, sha256: createHash('sha256').update(text).digest('hex') };
}

async function sha256Of(path: string): Promise<string | null> {
  const bytes = await readFile(path).catch(() => null);
  return bytes === null ? null : createHash('sha256').update(bytes).digest('hex');
}

export async function observePlans(): Promise<Record<string, unknown>> {
  const { dir, cleanup } = await scratch('plan-golden');
  const observed: Record<string, unknown> = {};
  try {
    for (const [name, filters] of Object.entries(DRY_RUNS)) {
      const mirror = join(dir, `dry-${Object.keys(observed).length}`);
      const config = testConfig({
        channels: [pytorch],
        platforms: ['linux-64'],
        mirror_dir: mirror,
        ...filters,
      });
      observed[`dry run, ${name}`] = stable(
        await syncInto(mirror, join(dir, 'work'), config, { dryRun: true }),
        dir,
      );
    }
    // Two channels: dummy's invalid records are refused, and a filename both offer is dummy's.
    const twoMirror = join(dir, 'two');
    observed['dry run, two channels'] = stable(
      await syncInto(
        twoMirror,
        join(dir, 'work'),
        testConfig({ channels: [dummy, pytorch], platforms: ['linux-64'], mirror_dir: twoMirror }),
        { dryRun: true },
      ),
      dir,
    );
    // A real sync, then a re-sync against the full mirror, then a second channel that collides.
    const copy = pathToFileURL(await copyChannel(testRecipes, dir)).href;
    const mirror = join(dir, 'recipes');
    const config = testConfig({
      channels: [pathToFileURL(testRecipes).href],
      platforms: [],
      mirror_dir: mirror,
    });
    observed['sync, test-recipes'] = stable(await syncInto(mirror, join(dir, 'work'), config), dir);
    observed['published repodata.json'] = await sha256Of(join(mirror, 'noarch', 'repodata.json'));
    observed['published current_repodata.json'] = await sha256Of(
      join(mirror, 'noarch', 'current_repodata.json'),
    );
    observed['re-sync, test-recipes'] = stable(await syncInto(mirror, join(dir, 'work'), config), dir);
    const both = testConfig({
      channels: [pathToFileURL(testRecipes).href, copy],
      platforms: [],
      mirror_dir: mirror,
      blacklist: ['*-2*'],
    });
    observed['dry run, test-recipes twice, blacklist'] = stable(
      await syncInto(mirror, join(dir, 'work'), both, { dryRun: true }),
      dir,
    );
    return observed;
  } finally {
    await cleanup();
  }
}
