// Planning a conda-forge-sized subdir (docs/design.md §9: plan 300 k records in ≤ 5 s and ≤ 512 MB
// RSS): upstream holds a synthetic linux-64; the plan reads the upstream repodata, filters, lists
// the store and diffs. Three variants, each in its own process, alternated round by round:
//
//   floor  the streaming parse of the upstream repodata alone (parseRepodata, every record
//          validated and dropped): the reference nothing that reads the document can beat
//   empty  planSync against an empty mirror: everything to download (what `sync --dry-run` of a
//          new mirror, or a fresh distributed plan, does before staging)
//   full   planSync against a mirror that already stores every package and publishes the same
//          repodata.json: nothing to do (a re-sync)
//
//   node bench/plan.bench.ts [--records 500000] [--rounds 1] [--variants floor,empty,full] [--dir DIR]
//
// --dir keeps and reuses the setup. The stored packages are sparse files of each record's size
// (the plan compares sizes; their bytes are never read), written straight into the filesystem
// store's folder as another tool would have copied them. Setup runs in a child process, unmeasured.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
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

async function plan(dir: string, mirror: string): Promise<Record<string, number>> {
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
    };
  } finally {
    await http.close();
    await store.close();
  }
}

/** The reference: stream, parse and validate the upstream document, keeping nothing. */
async function parseAlone(dir: string): Promise<Record<string, number>> {
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  let records = 0;
  const source = createReadStream(path.join(dir, 'upstream', SUBDIR, 'repodata.json'));
  for await (const _ of parseRepodata(source, { subdir: SUBDIR })) records++;
  return {
    seconds: (performance.now() - wallStart) / 1000,
    cpuSeconds: cpuSeconds() - cpuStart,
    peakRssMiB: peakRssMiB(),
    records,
  };
}

async function main(): Promise<void> {
  const phase = argument('phase', '');
  const records = Number(argument('records', '500000'));
  const dir = argument('dir', '');
  if (phase === 'setup') return setUp(dir, records);
  if (phase === 'floor') return print(JSON.stringify(await parseAlone(dir)));
  if (phase === 'empty') return print(JSON.stringify(await plan(dir, path.join(dir, 'mirror-empty'))));
  if (phase === 'full') return print(JSON.stringify(await plan(dir, path.join(dir, 'mirror'))));

  const rounds = Number(argument('rounds', '1'));
  const variants = argument('variants', 'floor,empty,full').split(',');
  const workDir = dir === '' ? mkdtempSync(path.join(tmpdir(), 'condasync-plan-bench-')) : dir;
  const run = (name: string): string => {
    const child = spawnSync(
      process.execPath,
      [import.meta.filename, '--phase', name, '--dir', workDir, '--records', String(records)],
      { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
    );
    if (child.status !== 0) throw new Error(`phase ${name} failed:\n${child.stderr}`);
    return child.stdout.trim();
  };
  try {
    if (!existsSync(path.join(workDir, 'mirror'))) {
      const started = performance.now();
      run('setup');
      print(
        `setup: ${records} records, ${((performance.now() - started) / 1000).toFixed(0)} s (not measured)`,
      );
    }
    await mkdir(path.join(workDir, 'mirror-empty'), { recursive: true });
    print(`load average before: ${loadavg()[0]!.toFixed(2)}`);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round, so no variant always runs first (or right after another).
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        spawnSync('sync');
        const figures = JSON.parse(run(variant).split('\n').at(-1)!) as Record<string, number>;
        print(
          `round ${round + 1}  ${variant.padEnd(5)}  ` +
            Object.entries(figures)
              .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
              .join('  '),
        );
      }
    }
    print(`load average after: ${loadavg()[0]!.toFixed(2)}`);
  } finally {
    if (dir === '') rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
