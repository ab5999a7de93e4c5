// Local-mode mirror against the physical limit (docs/design.md §9): `runLocalSync` into a fresh mirror dir
// versus the simplest fetch + sha256 + write loop over the same files (bench/raw-copy-loop.ts), both
// with 16 requests in flight, alternating in one process, for a channel of many small packages (6
// per name), one of many small packages with a name each (one shard each: conda-forge's shape at
// its edges) and one of few large ones, on /tmp (disk) and /dev/shm (tmpfs, to separate disk cost
// from CPU cost).
//
//   node bench/local-mirror.bench.ts [--small 4000] [--names 0] [--large 40] [--rounds 3]
//     [--dests /tmp,/dev/shm] [--concurrency 16] [--variants fetch,floor,mirror,...] [--keep]
//
// The upstream is the fixture upstream (test/support/fixture-upstream.ts) in a child process, so
// the measured process holds only the client side, as a worker would. Every file is requested
// once before timing (the fixture hashes a file on its first request for the ETag).
//
// Variants per round and destination, in an order that rotates each round:
//   fetch        raw loop without writing: loopback HTTP + sha256 only (the ceiling of any copy)
//   raw          raw loop, no fsync
//   raw+fsync    raw loop, fsync per file
//   floor        raw loop, then one `sync -f` of the filesystem: the durable floor   <- the baseline for `mirror`
//   mirror       runLocalSync, FsObjectStore with its default durability (docs/design.md §5)
//   mirror-nofs  runLocalSync, FsObjectStore { fsync: false }   (compared with `raw`)
import { type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { resolveSyncConfig, runLocalSync, type SyncPhase, silentLogger } from '@condasync/mirror';
import { FsObjectStore } from '@condasync/storage';
import { type RawFile, rawCopyLoop } from './raw-copy-loop.ts';
import { generate, startUpstream } from './support/bench-channel.ts';

const MiB = 1024 * 1024;
const VARIANTS = ['fetch', 'raw', 'raw+fsync', 'floor', 'mirror', 'mirror-nofs'] as const;
type Variant = (typeof VARIANTS)[number];
/** What each variant is compared with: the raw loops with fetching alone, the mirror with the raw loop of the same durability. */
const BASELINE: Partial<Record<Variant, Variant>> = {
  raw: 'fetch',
  'raw+fsync': 'fetch',
  floor: 'fetch',
  mirror: 'floor',
  'mirror-nofs': 'raw',
};

interface Channel {
  name: 'small' | 'names' | 'large';
  files: RawFile[];
  bytes: number;
}

interface Run {
  channel: string;
  dest: string;
  variant: Variant;
  round: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  phases?: Partial<Record<SyncPhase, number>>;
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// A full GC before each run, so one run's garbage does not count in the next run's peak RSS.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Samples RSS while `work` runs: resourceUsage().maxRSS is a lifetime peak, useless per run. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ value: T; seconds: number; cpuSeconds: number; peakRssMiB: number }> {
  collectGarbage();
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRssMiB: peak / MiB };
  } finally {
    clearInterval(sampler);
  }
}

async function listChannel(root: string, name: Channel['name']): Promise<Channel> {
  const files: RawFile[] = [];
  for (const subdir of ['linux-64', 'noarch']) {
    const repodata = JSON.parse(
      await readFile(path.join(root, name, subdir, 'repodata.json'), 'utf8'),
    ) as Record<string, Record<string, { size: number; sha256: string }>>;
    for (const section of ['packages', 'packages.conda']) {
      for (const [filename, record] of Object.entries(repodata[section] ?? {})) {
        files.push({ relPath: `${subdir}/${filename}`, size: record.size, sha256: record.sha256 });
      }
    }
  }
  return { name, files, bytes: files.reduce((sum, file) => sum + file.size, 0) };
}

async function runVariant(
  variant: Variant,
  channel: Channel,
  channelUrl: string,
  destBase: string,
  concurrency: number,
): Promise<Omit<Run, 'channel' | 'dest' | 'variant' | 'round'>> {
  const scratch = await mkdtemp(path.join(destBase, 'condasync-bench-'));
  try {
    if (variant === 'fetch' || variant === 'raw' || variant === 'raw+fsync' || variant === 'floor') {
      const result = await measured(() =>
        rawCopyLoop({
          baseUrl: channelUrl,
          files: channel.files,
          outDir: path.join(scratch, 'out'),
          concurrency,
          fsync: variant === 'raw+fsync',
          syncAtEnd: variant === 'floor',
          write: variant !== 'fetch',
        }),
      );
      if (result.value.bytes !== channel.bytes)
        throw new Error(`${variant}: copied ${result.value.bytes} bytes`);
      return result;
    }
    const mirrorDir = path.join(scratch, 'mirror');
    const store = new FsObjectStore({ root: mirrorDir, fsync: variant === 'mirror' });
    const config = resolveSyncConfig({
      channels: [channelUrl],
      platforms: ['linux-64'],
      mirror_dir: mirrorDir,
      concurrency,
    });
    const phases: Partial<Record<SyncPhase, number>> = {};
    let started = 0;
    const result = await measured(() => {
      // Phase times count from here, not from before measured()'s garbage collection.
      started = performance.now();
      return runLocalSync({
        config,
        store,
        channelPrefix: '',
        workDir: path.join(scratch, 'work'),
        logger: silentLogger,
        onProgress: (progress) => {
          phases[progress.phase] ??= (performance.now() - started) / 1000;
        },
      });
    });
    const report = result.value;
    const downloaded = report.subdirs.reduce((sum, subdir) => sum + subdir.downloaded, 0);
    if (report.status !== 'succeeded' || downloaded !== channel.files.length) {
      throw new Error(`${variant}: ${report.status}, ${downloaded} of ${channel.files.length} downloaded`);
    }
    return { seconds: result.seconds, cpuSeconds: result.cpuSeconds, peakRssMiB: result.peakRssMiB, phases };
  } finally {
    // Flush this run's dirty pages now, untimed, so they do not slow down the next run.
    execFileSync('sync');
    await rm(scratch, { recursive: true, force: true });
  }
}

function describe(run: Run, channel: Channel): string {
  const rate = channel.files.length / run.seconds;
  const mibs = channel.bytes / MiB / run.seconds;
  const phases =
    run.phases === undefined
      ? ''
      : ` plan ${run.phases.downloading?.toFixed(2)} s, copies ${((run.phases.finalizing ?? 0) - (run.phases.downloading ?? 0)).toFixed(2)} s, finalize ${(run.seconds - (run.phases.finalizing ?? 0)).toFixed(2)} s`;
  return (
    `${run.channel.padEnd(5)} ${run.dest.padEnd(8)} r${run.round} ${run.variant.padEnd(11)} ` +
    `${run.seconds.toFixed(2).padStart(7)} s ${rate.toFixed(0).padStart(6)} pkg/s ${mibs.toFixed(0).padStart(5)} MiB/s ` +
    `cpu ${((run.cpuSeconds * 1000) / channel.files.length).toFixed(2)} ms/pkg rss ${run.peakRssMiB.toFixed(0)} MiB${phases}`
  );
}

function summarize(runs: Run[], channels: Channel[], dests: string[]): void {
  print();
  print(
    '| channel | dest | variant | wall s, median (min–max) | pkg/s | MiB/s | CPU ms/pkg | peak RSS MiB | time ÷ baseline | copy phase s (÷ baseline) |',
  );
  print('|---|---|---|---|---|---|---|---|---|---|');
  for (const channel of channels) {
    for (const dest of dests) {
      for (const variant of VARIANTS) {
        const mine = runs.filter(
          (r) => r.channel === channel.name && r.dest === dest && r.variant === variant,
        );
        if (mine.length === 0) continue;
        const all = mine.map((r) => r.seconds);
        const seconds = median(all);
        const baseline = BASELINE[variant];
        // Ratios are taken per round (the baseline of the same round), then the median.
        const ratioTo = (pick: (run: Run) => number | undefined): string => {
          const ratios = mine.flatMap((run) => {
            const base = runs.find(
              (r) =>
                r.channel === run.channel &&
                r.dest === dest &&
                r.variant === baseline &&
                r.round === run.round,
            );
            const mineSeconds = pick(run);
            return base === undefined || mineSeconds === undefined ? [] : [mineSeconds / base.seconds];
          });
          return ratios.length === 0 ? '' : `${median(ratios).toFixed(2)}× ${baseline}`;
        };
        const copySeconds = (run: Run): number | undefined =>
          run.phases?.finalizing === undefined || run.phases.downloading === undefined
            ? undefined
            : run.phases.finalizing - run.phases.downloading;
        const copies = mine.flatMap((run) => copySeconds(run) ?? []);
        const copyColumn =
          copies.length === 0 ? '' : `${median(copies).toFixed(2)} (${ratioTo(copySeconds)})`;
        print(
          `| ${channel.name} (${channel.files.length} files, ${(channel.bytes / MiB).toFixed(0)} MiB) | ${dest} | ${variant} | ` +
            `${seconds.toFixed(2)} (${Math.min(...all).toFixed(2)}–${Math.max(...all).toFixed(2)}) | ` +
            `${(channel.files.length / seconds).toFixed(0)} | ${(channel.bytes / MiB / seconds).toFixed(0)} | ` +
            `${median(mine.map((r) => (r.cpuSeconds * 1000) / channel.files.length)).toFixed(2)} | ` +
            `${Math.max(...mine.map((r) => r.peakRssMiB)).toFixed(0)} | ${ratioTo((run) => run.seconds)} | ${copyColumn} |`,
        );
      }
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      small: { type: 'string', default: '4000' },
      names: { type: 'string', default: '0' },
      large: { type: 'string', default: '40' },
      rounds: { type: 'string', default: '3' },
      dests: { type: 'string', default: `${tmpdir()},/dev/shm` },
      concurrency: { type: 'string', default: '16' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      keep: { type: 'boolean', default: false },
    },
  });
  const small = Number(values.small);
  const names = Number(values.names);
  const large = Number(values.large);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const variants = values.variants.split(',').filter((v) => v !== '') as Variant[];
  for (const variant of variants) {
    if (!VARIANTS.includes(variant))
      throw new Error(`--variants: ${variant} is not one of ${VARIANTS.join(', ')}`);
  }
  const dests = values.dests.split(',').filter((dest) => dest !== '');
  for (const [name, value] of Object.entries({ small, names, large, rounds, concurrency })) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${name} ${value} is not valid: expected an integer >= 0`);
  }

  const root = await mkdtemp(path.join(tmpdir(), 'condasync-local-mirror-'));
  let upstream: { url: string; child: ChildProcess } | undefined;
  try {
    const generated = performance.now();
    if (small > 0) generate(path.join(root, 'small'), small, 'small');
    if (names > 0) generate(path.join(root, 'names'), names, 'small', 1);
    if (large > 0) generate(path.join(root, 'large'), large, `${20 * MiB}-${50 * MiB}`);
    const channels: Channel[] = [];
    if (small > 0) channels.push(await listChannel(root, 'small'));
    if (names > 0) channels.push(await listChannel(root, 'names'));
    if (large > 0) channels.push(await listChannel(root, 'large'));
    upstream = await startUpstream(root);
    for (const channel of channels) {
      // Warm-up: the fixture computes ETags on first request, and the page cache fills.
      await rawCopyLoop({
        baseUrl: `${upstream.url}/${channel.name}`,
        files: channel.files,
        outDir: root,
        concurrency,
        fsync: false,
        write: false,
      });
    }
    print(`RSS after setup and warm-up: ${(process.memoryUsage.rss() / MiB).toFixed(0)} MiB`);
    print(
      `node ${process.version}, ${concurrency} requests in flight, upstream in a child process (pid ${upstream.child.pid})`,
    );
    print(`source ${root} (generated in ${((performance.now() - generated) / 1000).toFixed(1)} s)`);
    for (const channel of channels) {
      print(
        `channel ${channel.name}: ${channel.files.length} files, ${(channel.bytes / MiB).toFixed(1)} MiB, mean ${(channel.bytes / channel.files.length / 1024).toFixed(1)} KiB`,
      );
    }
    print();

    const runs: Run[] = [];
    for (const channel of channels) {
      for (let round = 1; round <= rounds; round++) {
        for (const dest of dests) {
          // Rotate the order so no variant always runs first (cold sockets) or last.
          const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]!);
          for (const variant of order) {
            const figures = await runVariant(
              variant,
              channel,
              `${upstream.url}/${channel.name}`,
              dest,
              concurrency,
            );
            const run: Run = { channel: channel.name, dest, variant, round, ...figures };
            runs.push(run);
            print(describe(run, channel));
          }
        }
      }
    }
    summarize(runs, channels, dests);
    print();
    print(`process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    if (upstream !== undefined) {
      upstream.child.kill('SIGTERM');
      await once(upstream.child, 'exit');
    }
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
