// Repodata parse/write benchmark: a synthetic conda-forge-sized subdir (500 k records of ~600 B).
//
//   node bench/repodata.bench.ts [--records 500000] [--level 3] [--keep]
//
// Each phase runs in its own process so its peak RSS is its own. Phases:
//   generate   write the synthetic repodata.json (not measured)
//   json-parse baseline: readFile + JSON.parse of the whole document (what we avoid)
//   parse      streaming parse + validation, records counted and dropped
//   hold       streaming parse + canonicalRecordJson, every record kept as a compact string
//              (what a plan step holds for a subdir)
//   finalize   hold, sort, then stream-write repodata.json and repodata.json.zst together
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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
} from '@condasync/conda';
import { argument, close, peakRssMiB, print, write } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const SUBDIR = 'linux-64';

interface Held {
  packages: RepodataWriterEntry[];
  packagesConda: RepodataWriterEntry[];
  info: Record<string, unknown>;
  removed: string[];
}

async function parseFile(file: string, hold: boolean): Promise<{ records: number; held: Held }> {
  const held: Held = { packages: [], packagesConda: [], info: {}, removed: [] };
  const entries = parseRepodata(createReadStream(file, { highWaterMark: 1024 * 1024 }), { subdir: SUBDIR });
  let records = 0;
  for (;;) {
    const step = await entries.next();
    if (step.done) {
      held.info = step.value.info;
      held.removed = step.value.removed;
      break;
    }
    records++;
    if (hold) {
      const entry = { filename: step.value.filename, json: canonicalRecordJson(step.value.record) };
      (step.value.format === 'conda' ? held.packagesConda : held.packages).push(entry);
    }
  }
  return { records, held };
}

async function* teeToFile(source: AsyncIterable<Buffer>, out: Writable, hash: ReturnType<typeof createHash>) {
  for await (const chunk of source) {
    hash.update(chunk);
    await write(out, chunk);
    yield chunk;
  }
}

async function runPhase(
  phase: string,
  file: string,
  level: number,
): Promise<Record<string, number | string>> {
  const start = performance.now();
  if (phase === 'generate') {
    await writeSyntheticRepodata(file, { count: Number(argument('records', '500000')), subdir: SUBDIR });
    return { seconds: (performance.now() - start) / 1000 };
  }
  if (phase === 'json-parse') {
    const document = JSON.parse(readFileSync(file, 'utf8'));
    const records = Object.keys(document.packages).length + Object.keys(document['packages.conda']).length;
    return { records, seconds: (performance.now() - start) / 1000, peakRssMiB: peakRssMiB() };
  }
  const { records, held } = await parseFile(file, phase !== 'parse');
  const parsed = performance.now();
  const result: Record<string, number | string> = {
    records,
    parseSeconds: (parsed - start) / 1000,
    recordsPerSecond: records / ((parsed - start) / 1000),
  };
  if (phase === 'finalize') {
    held.packages.sort((a, b) => compareFilenames(a.filename, b.filename));
    held.packagesConda.sort((a, b) => compareFilenames(a.filename, b.filename));
    const writeStart = performance.now();
    const jsonOut = createWriteStream(`${file}.out.json`);
    const zstOut = createWriteStream(`${file}.out.json.zst`);
    const jsonHash = createHash('sha256');
    const zstHash = createHash('sha256');
    const document = writeRepodata({ subdir: SUBDIR, ...held });
    for await (const chunk of compressZstd(teeToFile(document, jsonOut, jsonHash), { level })) {
      zstHash.update(chunk);
      await write(zstOut, chunk);
    }
    await Promise.all([close(jsonOut), close(zstOut)]);
    result.writeSeconds = (performance.now() - writeStart) / 1000;
    result.jsonMiB = statSync(`${file}.out.json`).size / 2 ** 20;
    result.zstMiB = statSync(`${file}.out.json.zst`).size / 2 ** 20;
    // Compared with the input's hash by the parent: the generated input is already canonical.
    result.jsonSha256 = jsonHash.digest('hex');
  }
  result.seconds = (performance.now() - start) / 1000;
  result.peakRssMiB = peakRssMiB();
  return result;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function main(): Promise<void> {
  const phase = argument('phase', '');
  const level = Number(argument('level', '3'));
  if (phase !== '') {
    const result = await runPhase(phase, argument('file', ''), level);
    print(JSON.stringify(result));
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'condasync-repodata-bench-'));
  const file = path.join(dir, 'repodata.json');
  const records = argument('records', '500000');
  try {
    for (const name of ['generate', 'json-parse', 'parse', 'hold', 'finalize']) {
      const child = spawnSync(
        process.execPath,
        [
          import.meta.filename,
          '--phase',
          name,
          '--file',
          file,
          '--records',
          records,
          '--level',
          String(level),
        ],
        { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
      );
      if (child.status !== 0) throw new Error(`phase ${name} failed:\n${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
      if (result.jsonSha256 !== undefined) {
        result.sameBytesAsInput = String(result.jsonSha256 === (await sha256File(file)));
        delete result.jsonSha256;
      }
      if (name === 'generate') {
        print(
          `synthetic repodata.json: ${records} records, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`,
        );
      }
      const figures = Object.entries(result).map(
        ([key, value]) =>
          `${key}=${typeof value === 'string' || Number.isInteger(value) ? value : value.toFixed(key === 'recordsPerSecond' ? 0 : 2)}`,
      );
      print(`${name.padEnd(10)} ${figures.join('  ')}`);
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
