// Planning a sync against an existing conda-forge-sized mirror (docs/design.md §9: plan a 500 k-record
// subdir in < 20 s with < 1 GB RSS): upstream and the published mirror hold the same synthetic
// 500 k-record linux-64, every package already stored, so the plan reads the upstream repodata,
// filters, lists the store, compares with the published repodata and finds nothing to do.
//
//   node bench/plan.bench.ts [--records 500000] [--dir DIR]   (--dir keeps and reuses the setup)
//
// The stored packages are sparse files of each record's size (the plan compares sizes; their
// bytes are never read), written straight into the filesystem store's folder as another tool
// would have copied them. Setup runs in a child process; the plan in another, measured alone.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseRepodata } from '@condasync/conda';
import { planSync, resolveSyncConfig, silentLogger, UpstreamHttp } from '@condasync/mirror';
import { FsObjectStore } from '@condasync/storage';
import { argument, cpuSeconds, peakRssMiB, print } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const SUBDIR = 'linux-64';
const EMPTY_NOARCH = '{"info":{"subdir":"noarch"},"packages":{},"packages.conda":{},"repodata_version":1}';

async function setUp(dir: string, records: number): Promise<void> {
  const upstream = path.join(dir, 'upstream');
  const mirror = path.join(dir, 'mirror');
  for (const folder of [SUBDIR, 'noarch']) {
    await mkdir(path.join(upstream, folder), { recursive: true });
    await mkdir(path.join(mirror, folder), { recursive: true });
  }
  const repodata = path.join(upstream, SUBDIR, 'repodata.json');
  await writeSyntheticRepodata(repodata, { count: records, subdir: SUBDIR });
  await writeFile(path.join(upstream, 'noarch', 'repodata.json'), EMPTY_NOARCH);
  await copyFile(repodata, path.join(mirror, SUBDIR, 'repodata.json'));
  await writeFile(path.join(mirror, 'noarch', 'repodata.json'), EMPTY_NOARCH);
  const pending: Promise<void>[] = [];
  for await (const entry of parseRepodata(createReadStream(repodata), { subdir: SUBDIR })) {
    pending.push(
      (async () => {
        const file = await open(path.join(mirror, SUBDIR, entry.filename), 'w');
        await file.truncate(entry.record.size);
        await file.close();
      })(),
    );
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

async function plan(dir: string): Promise<Record<string, number>> {
  const mirror = path.join(dir, 'mirror');
  const config = resolveSyncConfig({
    channels: [pathToFileURL(path.join(dir, 'upstream')).href],
    platforms: [SUBDIR],
    mirror_dir: mirror,
  });
  const store = new FsObjectStore({ root: mirror });
  const http = new UpstreamHttp();
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  try {
    const result = await planSync(config, {
      store,
      channelPrefix: '',
      http,
      cacheDir: path.join(dir, 'cache'),
      logger: silentLogger,
    });
    const linux = result.subdirs.find((subdir) => subdir.subdir === SUBDIR)!;
    return {
      seconds: (performance.now() - wallStart) / 1000,
      cpuSeconds: cpuSeconds() - cpuStart,
      peakRssMiB: peakRssMiB(),
      records: linux.records.size,
      present: linux.present,
      downloads: linux.downloads.length,
      removals: linux.removals.length,
    };
  } finally {
    await http.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  const phase = argument('phase', '');
  const records = Number(argument('records', '500000'));
  if (phase === 'setup') return setUp(argument('dir', ''), records);
  if (phase === 'plan') return print(JSON.stringify(await plan(argument('dir', ''))));

  const given = argument('dir', '');
  const dir = given === '' ? mkdtempSync(path.join(tmpdir(), 'condasync-plan-bench-')) : given;
  const run = (name: string): string => {
    const child = spawnSync(
      process.execPath,
      [import.meta.filename, '--phase', name, '--dir', dir, '--records', String(records)],
      { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
    );
    if (child.status !== 0) throw new Error(`phase ${name} failed:\n${child.stderr}`);
    return child.stdout.trim();
  };
  try {
    if (!existsSync(path.join(dir, 'mirror'))) {
      const started = performance.now();
      run('setup');
      print(
        `setup: ${records} records, ${((performance.now() - started) / 1000).toFixed(0)} s (not measured)`,
      );
    }
    spawnSync('sync');
    const figures = JSON.parse(run('plan').split('\n').at(-1)!) as Record<string, number>;
    print(
      Object.entries(figures)
        .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
        .join('  '),
    );
  } finally {
    if (given === '') rmSync(dir, { recursive: true, force: true });
  }
}

await main();
