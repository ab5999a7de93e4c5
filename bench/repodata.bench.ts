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
import { once } from 'node:events';
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
} from '../libs/conda/src/repodata/index.ts';

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

/** Writes a conda-forge-like document: records sorted by filename, ~600 B each, 70 % `.conda`. */
async function generate(file: string, count: number): Promise<void> {
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
  const names = Array.from({ length: Math.max(1, Math.floor(count / 20)) }, (_, i) => `pkg-${hex(6)}-${i}`);
  const entries: Array<{ filename: string; conda: boolean; json: string }> = [];
  for (let i = 0; i < count; i++) {
    const name = pick(names);
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
    for (const entry of entries) {
      if (entry.conda !== conda) continue;
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
    await generate(file, Number(argument('records', '500000')));
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
