// Sharded repodata (CEP 16) benchmark: a synthetic conda-forge-sized subdir (500 k records of
// ~600 B, ~35 k package names, like conda-forge linux-64).
//
//   node bench/shards.bench.ts [--records 500000] [--names 35000] [--level 3] [--write-shards] [--keep]
//
// Each phase runs in its own process so its peak RSS is its own. Phases:
//   generate  write the synthetic repodata.json (not measured)
//   shards    parse + hold every record as a canonical string (as a plan step holds them), then
//             build every shard and the index (what finalize adds for sharded repodata)
//   finalize  the whole finalize: parse + hold, sort, stream repodata.json and repodata.json.zst
//             to files, then shards and index
// Shard files are only written to <dir>/out/shards/ with --write-shards: 35 k small-file writes
// measure the filesystem more than this code (bench/store-put.bench.ts measures storage).
// Times are wall seconds; *Cpu figures are user+system CPU seconds of the process, which are
// steadier when other work shares the machine.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  canonicalRecordJson,
  compareFilenames,
  compressZstd,
  parseRepodata,
  type RepodataWriterEntry,
  writeRepodata,
} from '../libs/conda/src/repodata/index.ts';
import { generateShards, SHARD_INDEX_FILENAME, shardFilename } from '../libs/conda/src/shards/index.ts';

const SUBDIR = 'linux-64';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** CPU seconds (user + system) of this process: steadier than wall time on a shared machine. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Deterministic pseudo-random numbers (mulberry32), so every run benchmarks the same document. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function write(stream: Writable, chunk: Uint8Array | string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function close(stream: Writable): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * The record generator of bench/repodata.bench.ts (it is not exported there), with the number of
 * names as a parameter: records sorted by filename, ~600 B each, 70 % `.conda`. Names are picked
 * with a skewed distribution, so a few have thousands of records, like `python` or `libarrow`.
 */
async function generate(file: string, count: number, nameCount: number): Promise<void> {
  const random = seededRandom(20260822);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (length: number) => {
    let out = '';
    while (out.length < length)
      out += Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return out.slice(0, length);
  };
  const deps = [
    'libgcc-ng >=12',
    'libstdcxx-ng >=12',
    'python >=3.12,<3.13.0a0',
    'python_abi 3.12.* *_cp312',
    'libzlib >=1.2.13,<2.0.0a0',
    'openssl >=3.2.1,<4.0a0',
    'libblas >=3.9.0,<4.0a0',
    'numpy >=1.22.4,<2.0a0',
    'libcxx >=16',
    '__glibc >=2.17,<3.0.a0',
    'ca-certificates',
    'xz >=5.2.6,<6.0a0',
  ];
  const licenses = ['BSD-3-Clause', 'MIT', 'Apache-2.0', 'GPL-3.0-or-later', 'LGPL-2.1-only'];
  const names = Array.from({ length: Math.max(1, nameCount) }, (_, i) => `pkg-${hex(6)}-${i}`);
  const entries: Array<{ filename: string; conda: boolean; json: string }> = [];
  for (let i = 0; i < count; i++) {
    const name = names[Math.floor(random() ** 2 * names.length)]!;
    const version = `${Math.floor(random() * 30)}.${Math.floor(random() * 20)}.${Math.floor(random() * 10)}`;
    const build = `py312h${hex(7)}_${i % 7}`;
    const conda = random() < 0.7;
    const depends = Array.from({ length: 4 + Math.floor(random() * 9) }, () => pick(deps));
    const record = {
      build,
      build_number: i % 7,
      constrains: random() < 0.5 ? [`${name}-base <0a0`] : undefined,
      depends,
      license: pick(licenses),
      license_family: 'BSD',
      md5: hex(32),
      name,
      sha256: hex(64),
      size: Math.floor(random() * 50_000_000),
      subdir: SUBDIR,
      timestamp: 1_600_000_000_000 + Math.floor(random() * 1e11),
      version,
    };
    entries.push({
      filename: `${name}-${version}-${build}${conda ? '.conda' : '.tar.bz2'}`,
      conda,
      json: JSON.stringify(record),
    });
  }
  entries.sort((a, b) => compareFilenames(a.filename, b.filename));
  const out = createWriteStream(file);
  await write(out, `{"info":{"subdir":"${SUBDIR}"},"packages":{`);
  for (const conda of [false, true]) {
    if (conda) await write(out, '},"packages.conda":{');
    let first = true;
    let previous = '';
    for (const entry of entries) {
      // Same name-version-build picked twice: keep one, as a real subdir would.
      if (entry.conda !== conda || entry.filename === previous) continue;
      previous = entry.filename;
      await write(out, `${first ? '' : ','}${JSON.stringify(entry.filename)}:${entry.json}`);
      first = false;
    }
  }
  await write(out, '},"removed":[],"repodata_version":1}');
  await close(out);
}

interface Held {
  packages: RepodataWriterEntry[];
  packagesConda: RepodataWriterEntry[];
}

async function parseAndHold(file: string): Promise<Held> {
  const held: Held = { packages: [], packagesConda: [] };
  const entries = parseRepodata(createReadStream(file, { highWaterMark: 1024 * 1024 }), { subdir: SUBDIR });
  for await (const entry of entries) {
    const writerEntry = { filename: entry.filename, json: canonicalRecordJson(entry.record) };
    (entry.format === 'conda' ? held.packagesConda : held.packages).push(writerEntry);
  }
  return held;
}

async function* teeToFile(source: AsyncIterable<Buffer>, out: Writable): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    await write(out, chunk);
    yield chunk;
  }
}

async function writeRepodataFiles(dir: string, held: Held, level: number): Promise<void> {
  const jsonOut = createWriteStream(path.join(dir, 'out', 'repodata.json'));
  const zstOut = createWriteStream(path.join(dir, 'out', 'repodata.json.zst'));
  const document = writeRepodata({ subdir: SUBDIR, ...held });
  for await (const chunk of compressZstd(teeToFile(document, jsonOut), { level })) await write(zstOut, chunk);
  await Promise.all([close(jsonOut), close(zstOut)]);
}

/** Builds the shards, writing each file as it comes (32 writes in flight) when asked, then the index. */
async function writeShardFiles(dir: string, held: Held, level: number): Promise<Record<string, number>> {
  const writeShards = process.argv.includes('--write-shards');
  const shardDir = path.join(dir, 'out', 'shards');
  mkdirSync(shardDir, { recursive: true });
  const pending = new Set<Promise<void>>();
  let shards = 0;
  let shardBytes = 0;
  let largest = 0;
  const generator = generateShards(SUBDIR, [...held.packages, ...held.packagesConda], { zstdLevel: level });
  for (;;) {
    const step = await generator.next();
    if (step.done) {
      await Promise.all(pending);
      await writeFile(path.join(dir, 'out', SHARD_INDEX_FILENAME), step.value);
      return {
        shards,
        shardMiB: shardBytes / 2 ** 20,
        largestShardKiB: largest / 1024,
        indexKiB: step.value.length / 1024,
      };
    }
    const shard = step.value;
    shards++;
    shardBytes += shard.bytes.length;
    largest = Math.max(largest, shard.bytes.length);
    if (!writeShards) continue;
    const writing: Promise<void> = writeFile(
      path.join(shardDir, shardFilename(shard.name)),
      shard.bytes,
    ).then(() => {
      pending.delete(writing);
    });
    pending.add(writing);
    if (pending.size >= 32) await Promise.race(pending);
  }
}

async function runPhase(phase: string, dir: string, level: number): Promise<Record<string, number | string>> {
  const file = path.join(dir, 'repodata.json');
  const start = performance.now();
  const startCpu = cpuSeconds();
  if (phase === 'generate') {
    await generate(file, Number(argument('records', '500000')), Number(argument('names', '35000')));
    return { seconds: (performance.now() - start) / 1000 };
  }
  rmSync(path.join(dir, 'out'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'out'));
  const held = await parseAndHold(file);
  const parsed = performance.now();
  const result: Record<string, number | string> = {
    records: held.packages.length + held.packagesConda.length,
    parseSeconds: (parsed - start) / 1000,
    parseCpu: cpuSeconds() - startCpu,
  };
  if (phase === 'finalize') {
    held.packages.sort((a, b) => compareFilenames(a.filename, b.filename));
    held.packagesConda.sort((a, b) => compareFilenames(a.filename, b.filename));
    const jsonStart = performance.now();
    const jsonCpu = cpuSeconds();
    await writeRepodataFiles(dir, held, level);
    result.jsonZstSeconds = (performance.now() - jsonStart) / 1000;
    result.jsonZstCpu = cpuSeconds() - jsonCpu;
  }
  const shardsStart = performance.now();
  const shardsCpu = cpuSeconds();
  Object.assign(result, await writeShardFiles(dir, held, level));
  result.shardsSeconds = (performance.now() - shardsStart) / 1000;
  result.shardsCpu = cpuSeconds() - shardsCpu;
  result.seconds = (performance.now() - start) / 1000;
  result.cpuSeconds = cpuSeconds() - startCpu;
  result.peakRssMiB = peakRssMiB();
  return result;
}

async function main(): Promise<void> {
  const phase = argument('phase', '');
  const level = Number(argument('level', '3'));
  if (phase !== '') {
    print(JSON.stringify(await runPhase(phase, argument('dir', ''), level)));
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'condasync-shards-bench-'));
  const forwarded = ['--records', argument('records', '500000'), '--names', argument('names', '35000')];
  try {
    for (const name of ['generate', 'shards', 'finalize']) {
      const child = spawnSync(
        process.execPath,
        [
          import.meta.filename,
          '--phase',
          name,
          '--dir',
          dir,
          '--level',
          String(level),
          ...forwarded,
          ...(process.argv.includes('--write-shards') ? ['--write-shards'] : []),
        ],
        { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
      );
      if (child.status !== 0) throw new Error(`phase ${name} failed:\n${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
      if (name === 'generate') {
        const mib = statSync(path.join(dir, 'repodata.json')).size / 2 ** 20;
        print(
          `synthetic repodata.json: ${forwarded[1]} records, ${forwarded[3]} names, ${mib.toFixed(1)} MiB`,
        );
      }
      const figures = Object.entries(result).map(
        ([key, value]) =>
          `${key}=${typeof value === 'string' || Number.isInteger(value) ? value : value.toFixed(2)}`,
      );
      print(`${name.padEnd(9)} ${figures.join('  ')}`);
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
