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
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  canonicalRecordJson,
  compareFilenames,
  compressZstd,
  generateShards,
  parseRepodata,
  type RepodataWriterEntry,
  SHARD_INDEX_FILENAME,
  shardFilename,
  writeRepodata,
} from '@condasync/conda';
import { argument, close, cpuSeconds, peakRssMiB, print, write } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const SUBDIR = 'linux-64';

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
    await writeSyntheticRepodata(file, {
      count: Number(argument('records', '500000')),
      nameCount: Number(argument('names', '35000')),
      subdir: SUBDIR,
      namePopularity: 'skewed',
    });
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
