// Indexing a folder of packages side by side with py-rattler's `rattler.index.index_fs` (rattler's
// indexer, Rust) and conda-index 0.13 (the conda project's): the same generated folder of
// real-shaped archives (bench/support/real-shaped-packages.ts: .conda and .tar.bz2, info/ first,
// payloads of 8 KiB – 1 MiB), indexed by each tool as its own command.
//
//   node bench/indexers.bench.ts [--packages 3019] [--rounds 3] [--dest /tmp]
//     [--variants condasync,rattler[,conda-index][,condasync-before]] [--before DIR] [--cache DIR]
//     [--python .venv/bin/python]     (a Python with py-rattler and conda-index, as `npm test` installs it)
//
// Variants, in an order that rotates each round:
//   condasync       `condasync import DIR --mirror-dir OUT`: reads every archive, builds records
//                   like conda-index, and also copies each package into a new mirror (fsync'd),
//                   writes repodata.json(.zst), shards and channeldata
//   condasync-before  the same command from another checkout (--before DIR, e.g. main's worktree),
//                   to measure a change against what it replaces in the same run
//   rattler         `asyncio.run(index_fs(DIR))` on a fresh copy of the folder (it indexes in place;
//                   its defaults: repodata.json, .zst and shards)
//   conda-index     `python -m conda_index DIR --no-current-repodata` on a fresh copy of the folder
//                   (default threads, channeldata, .zst, shards off); no cache database yet
// Each figure is the command's wall time and its CPU time (user + system, all threads, from
// /usr/bin/time): on a shared machine CPU seconds are the steadier comparison.
// --cache DIR keeps the generated folder in DIR/<packages> and reuses it (generating 3 019
// archives takes a minute or more).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateRealShapedFolder } from './support/real-shaped-packages.ts';

const CLI = path.join(import.meta.dirname, '../apps/cli/bin/condasync.js');
const ALL_VARIANTS = ['condasync', 'condasync-before', 'rattler', 'conda-index'] as const;
type Variant = (typeof ALL_VARIANTS)[number];
const RATTLER_INDEX =
  'import asyncio, sys\nfrom rattler.index import index_fs\nasyncio.run(index_fs(sys.argv[1]))';

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function countRecords(repodataPaths: string[]): number {
  let count = 0;
  for (const file of repodataPaths) {
    const document = JSON.parse(readFileSync(file, 'utf8')) as Record<
      string,
      Record<string, unknown> | undefined
    >;
    count +=
      Object.keys(document['packages'] ?? {}).length + Object.keys(document['packages.conda'] ?? {}).length;
  }
  return count;
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Runs the command under /usr/bin/time: wall seconds, and user + system CPU seconds of all its threads. */
function timed(command: string, args: string[]): Timing {
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const wall = (performance.now() - started) / 1000;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(-2000)}`);
  const match = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  if (match === null) throw new Error(`no CPU times from /usr/bin/time in:\n${result.stderr.slice(-500)}`);
  return { wall, cpu: Number(match[1]) + Number(match[2]) };
}

/** The generated folder: from the cache when it holds one for this count, else made now. */
function sourceFolder(root: string, packages: number, cache: string | undefined): string {
  const target = cache === undefined ? path.join(root, 'source') : path.join(cache, String(packages));
  if (existsSync(target)) {
    print(`reusing ${packages} packages in ${target}`);
    return target;
  }
  const started = performance.now();
  const building = `${target}.partial`;
  rmSync(building, { recursive: true, force: true });
  const generated = generateRealShapedFolder(building, packages);
  renameSync(building, target);
  const mib = (generated.bytes / 2 ** 20).toFixed(0);
  print(
    `generated ${packages} packages (${mib} MiB) in ${target} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return target;
}

function runVariant(
  variant: Variant,
  source: string,
  scratch: string,
  python: string,
  before: string | undefined,
): { timing: Timing; outputs: string[] } {
  const subdirs = ['linux-64', 'noarch'];
  if (variant === 'condasync' || variant === 'condasync-before') {
    const mirror = path.join(scratch, 'mirror');
    const cli = variant === 'condasync' ? CLI : path.join(before ?? '', 'apps/cli/bin/condasync.js');
    const timing = timed(process.execPath, [cli, 'import', source, '--mirror-dir', mirror]);
    return { timing, outputs: subdirs.map((subdir) => path.join(mirror, subdir, 'repodata.json')) };
  }
  const channel = path.join(scratch, 'channel');
  cpSync(source, channel, { recursive: true });
  execFileSync('sync');
  const timing =
    variant === 'rattler'
      ? timed(python, ['-c', RATTLER_INDEX, channel])
      : timed(python, ['-m', 'conda_index', channel, '--no-current-repodata']);
  return { timing, outputs: subdirs.map((subdir) => path.join(channel, subdir, 'repodata.json')) };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      packages: { type: 'string', default: '3019' },
      rounds: { type: 'string', default: '3' },
      dest: { type: 'string', default: tmpdir() },
      variants: { type: 'string', default: 'condasync,rattler' },
      cache: { type: 'string' },
      before: { type: 'string' },
      python: { type: 'string', default: path.join(import.meta.dirname, '../.venv/bin/python') },
    },
  });
  const packages = Number(values.packages);
  const variants = values.variants.split(',') as Variant[];
  for (const variant of variants) {
    if (!ALL_VARIANTS.includes(variant))
      throw new Error(`--variants: unknown "${variant}", expected ${ALL_VARIANTS.join(', ')}`);
  }
  if (variants.includes('condasync-before') && values.before === undefined)
    throw new Error('--variants condasync-before needs --before DIR (a condasync checkout)');
  if (values.cache !== undefined) mkdirSync(values.cache, { recursive: true });
  const root = mkdtempSync(path.join(values.dest, 'condasync-indexers-'));
  try {
    const source = sourceFolder(root, packages, values.cache);
    print(
      `load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );
    const timings = new Map<Variant, Timing[]>();
    for (let round = 0; round < Number(values.rounds); round++) {
      // Rotate the order so no variant always runs first (cold page cache) or last.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        const scratch = mkdtempSync(path.join(root, 'run-'));
        try {
          let run: ReturnType<typeof runVariant>;
          try {
            run = runVariant(variant, source, scratch, values.python, values.before);
          } catch (error) {
            // A peer that crashes (py-rattler 0.28 once exited on SIGSEGV) is reported, not timed.
            print(
              `round ${round + 1} ${variant.padEnd(16)} FAILED: ${(error as Error).message.split('\n').slice(-3).join(' ')}`,
            );
            continue;
          }
          const { timing, outputs } = run;
          const records = countRecords(outputs);
          if (records !== packages) throw new Error(`${variant} indexed ${records} of ${packages} packages`);
          print(
            `round ${round + 1} ${variant.padEnd(16)} ${timing.wall.toFixed(2)} s wall, ${timing.cpu.toFixed(2)} s CPU, ${(packages / timing.wall).toFixed(0)} packages/s`,
          );
          timings.set(variant, [...(timings.get(variant) ?? []), timing]);
        } finally {
          execFileSync('sync');
          rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
    print(
      `load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const timed = variants.filter((variant) => (timings.get(variant) ?? []).length > 0);
    if (timed.length === 0) throw new Error('no variant ran to the end');
    const reference = timed.includes('rattler') ? 'rattler' : timed[0]!;
    const referenceWall = median(timings.get(reference)!.map((timing) => timing.wall));
    const referenceCpu = median(timings.get(reference)!.map((timing) => timing.cpu));
    print();
    for (const variant of timed) {
      const wall = median(timings.get(variant)!.map((timing) => timing.wall));
      const cpu = median(timings.get(variant)!.map((timing) => timing.cpu));
      print(
        `${variant.padEnd(16)} median ${wall.toFixed(2)} s wall (${(referenceWall / wall).toFixed(2)}× ${reference}), ${cpu.toFixed(2)} s CPU (${(referenceCpu / cpu).toFixed(2)}× ${reference}), ${(packages / wall).toFixed(0)} packages/s`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main();
