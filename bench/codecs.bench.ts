// Codec benchmark: each of our codecs against a well-kept library doing the same job on the same
// input, so libs/codecs keeps ours only where it measures better (BENCHMARKS.md, "Codecs").
//
//   node bench/codecs.bench.ts [--rounds 7] [--records 20000]
//
// Pairs (each side is checked to give the same result before it is timed):
//   msgpack encode  every shard of a synthetic subdir: MsgpackEncoder vs msgpackr's Packr
//   msgpack decode  the same shards: decodeMsgpack vs msgpackr's Unpackr
//   tar             list every entry and read info/*.json of the fixture packages' tarballs:
//                   TarReader vs tar-stream's extract (plus our member-name check, which it lacks)
//   zip             find and read info-*.tar.zst of every fixture .conda: readZipDirectory +
//                   storedMemberData vs yauzl.fromBuffer (plus a CRC-32 check, which it lacks)
//   zstd            a 4-frame repodata.json.zst: decompressZstd (frame walk + Node) vs Node alone
//   bzip2 decode    the fixture .tar.bz2 files and a 2 MiB repodata.json.bz2: decompressBzip2 vs
//                   seek-bzip (whole buffers only: it cannot stream, so it cannot stop a bomb)
// The msgpack decoders are also given malformed and hostile documents, to count what each refuses.
// The machine is shared: each figure is the median of --rounds rounds, after one warm-up round.
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { crc32, createZstdDecompress, zstdCompressSync } from 'node:zlib';
import {
  compressBzip2Sync,
  decodeMsgpack,
  decompressBzip2,
  decompressZstd,
  decompressZstdFrame,
  MsgpackEncoder,
  normaliseMemberPath,
  readZipDirectory,
  storedMemberData,
  TarReader,
} from '@condasync/codecs';
import { canonicalRecordJson, generateShards, MAX_SHARD_BYTES, readRepodata } from '@condasync/conda';
import { Packr, Unpackr } from 'msgpackr';
import tarStream from 'tar-stream';
import yauzl from 'yauzl';
import { argument, print } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

/** seek-bzip ships no types: the one call used here. */
const seekBzip = createRequire(import.meta.url)('seek-bzip') as {
  decode(input: Uint8Array, output?: Uint8Array, multistream?: boolean): Buffer;
};

/** Documents a shard reader must refuse: each would otherwise change or inject data silently. */
const HOSTILE_MSGPACK: Record<string, string> = {
  'duplicate map key': '82a161c0a161c3',
  'invalid UTF-8 in a str': 'a2c328',
  'timestamp ext (becomes a Date)': 'd6ffffffffff',
  'integer beyond 2^53': 'cf0020000000000001',
  'non-str map key': '8101c0',
  'trailing bytes': 'c0c0',
  'truncated str': 'db0000001061',
  '100 000-deep nesting': `${'91'.repeat(100_000)}c0`,
};

function refusedCount(decode: (bytes: Buffer) => unknown): string {
  const accepted: string[] = [];
  for (const [label, hex] of Object.entries(HOSTILE_MSGPACK)) {
    try {
      decode(Buffer.from(hex, 'hex'));
      accepted.push(label);
    } catch {
      // refused, as it should be
    }
  }
  const total = Object.keys(HOSTILE_MSGPACK).length;
  return `${total - accepted.length}/${total} refused${accepted.length ? ` (accepts: ${accepted.join(', ')})` : ''}`;
}

const FIXTURES = path.resolve(import.meta.dirname, '../test/fixtures/conda-test-data');
const ARCHIVE_FOLDERS = [
  'conda-index/tests/archives',
  'conda-package-handling/tests/data',
  'conda/tests/data/conda_format_repo/linux-64',
  'conda/tests/data/conda_format_repo/osx-64',
  'conda/tests/data/conda_format_repo/win-32',
  'conda/tests/data/conda_format_repo/win-64',
  'conda-index/tests/index_hotfix_pkgs/osx-64',
  'rattler/test-data/packages',
];
const NOT_PACKAGES = /^(a|b|subfolder2?)\.tar\.bz2$/;
const CHUNK = 64 * 1024;
const MiB = 2 ** 20;

interface Side<T> {
  name: string;
  run: () => Promise<T> | T;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs both sides alternately (so a noisy neighbour hits both), one warm-up then `rounds` timed. */
async function compare<T>(
  label: string,
  unit: { bytes: number; per: string },
  sides: [Side<T>, Side<T>],
  rounds: number,
  same: (a: T, b: T) => string,
): Promise<void> {
  const results = await Promise.all(sides.map(async (side) => side.run()));
  const agreement = same(results[0]!, results[1]!);
  const times: number[][] = sides.map(() => []);
  for (let round = -1; round < rounds; round++) {
    for (const [index, side] of sides.entries()) {
      const start = performance.now();
      await side.run();
      const elapsed = performance.now() - start;
      if (round >= 0) times[index]!.push(elapsed);
    }
  }
  print(`\n${label} (${(unit.bytes / MiB).toFixed(2)} MiB ${unit.per}; results: ${agreement})`);
  const medians = times.map(median);
  for (const [index, side] of sides.entries()) {
    const ms = medians[index]!;
    const spread = `${Math.min(...times[index]!).toFixed(1)}–${Math.max(...times[index]!).toFixed(1)}`;
    print(
      `  ${side.name.padEnd(34)} median ${ms.toFixed(1).padStart(8)} ms  (${spread} ms)  ${(unit.bytes / MiB / (ms / 1000)).toFixed(1).padStart(7)} MiB/s`,
    );
  }
  const [ours, theirs] = medians as [number, number];
  print(
    `  → ${ours <= theirs ? sides[0]!.name : sides[1]!.name} is ${(Math.max(ours, theirs) / Math.min(ours, theirs)).toFixed(2)}× faster`,
  );
}

// ---- inputs -----------------------------------------------------------------------------------

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

function fixtureArchives(extension: string): Array<{ name: string; bytes: Buffer }> {
  return ARCHIVE_FOLDERS.flatMap((folder) =>
    readdirSync(path.join(FIXTURES, folder))
      .filter((name) => name.endsWith(extension) && !NOT_PACKAGES.test(name))
      .sort()
      .map((name) => ({ name, bytes: readFileSync(path.join(FIXTURES, folder, name)) })),
  );
}

/** The decompressed tarballs of every fixture package: the .tar.bz2 files and both .conda members. */
async function fixtureTarballs(): Promise<Buffer[]> {
  const tarballs: Buffer[] = [];
  for (const { bytes } of fixtureArchives('.tar.bz2')) {
    tarballs.push(await collect(decompressBzip2(Readable.from([bytes]))));
  }
  for (const { bytes } of fixtureArchives('.conda')) {
    const directory = readZipDirectory(bytes, 100);
    for (const entry of directory.entries.filter((member) => member.name.endsWith('.tar.zst'))) {
      tarballs.push(await collect(decompressZstd(storedMemberData(bytes, directory, entry))));
    }
  }
  return tarballs;
}

/** The uncompressed msgpack of every shard of a synthetic subdir, as the shard writer makes them. */
async function shardDocuments(records: number): Promise<{ documents: Buffer[]; json: Buffer }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'condasync-codecs-bench-'));
  try {
    const file = path.join(dir, 'repodata.json');
    await writeSyntheticRepodata(file, { count: records });
    const json = readFileSync(file);
    const entries: Array<{ filename: string; json: string }> = [];
    await readRepodata([json], { subdir: 'linux-64' }, (entry) => {
      entries.push({ filename: entry.filename, json: canonicalRecordJson(entry.record) });
    });
    const documents: Buffer[] = [];
    for await (const shard of generateShards('linux-64', entries)) {
      documents.push(decompressZstdFrame(shard.bytes, MAX_SHARD_BYTES));
    }
    return { documents, json };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- tar --------------------------------------------------------------------------------------

interface TarListing {
  paths: string[];
  bodies: string[];
}

function* chunks(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

async function* asyncChunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield* chunks(bytes);
}

const wantsBody = (entryPath: string) => entryPath.startsWith('info/') && entryPath.endsWith('.json');

async function listOurs(tar: Uint8Array): Promise<TarListing> {
  const reader = new TarReader(asyncChunks(tar), { maxEntries: 1e6, maxBytes: 1 << 30 });
  const listing: TarListing = { paths: [], bodies: [] };
  for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
    listing.paths.push(entry.path);
    if (entry.type === 'file' && wantsBody(entry.path)) {
      listing.bodies.push(Buffer.from(await reader.readBody(1 << 24)).toString());
    }
  }
  return listing;
}

async function listTarStream(tar: Uint8Array): Promise<TarListing> {
  const extract = tarStream.extract();
  const listing: TarListing = { paths: [], bodies: [] };
  const feeding = (async () => {
    for (const chunk of chunks(tar)) {
      if (!extract.write(chunk)) await new Promise<void>((resolve) => extract.once('drain', () => resolve()));
    }
    extract.end(undefined);
  })();
  for await (const entry of extract) {
    const entryPath = normaliseMemberPath(entry.header.name);
    listing.paths.push(entryPath);
    if (entry.header.type === 'file' && wantsBody(entryPath)) {
      listing.bodies.push((await collect(entry as AsyncIterable<Uint8Array>)).toString());
    } else {
      entry.resume();
    }
  }
  await feeding;
  return listing;
}

// ---- zip --------------------------------------------------------------------------------------

function infoMemberName(filename: string): string {
  return `info-${filename.slice(0, -'.conda'.length)}.tar.zst`;
}

function zipOurs(conda: { name: string; bytes: Buffer }): Uint8Array {
  const directory = readZipDirectory(conda.bytes, 100);
  const entry = directory.entries.find((member) => member.name === infoMemberName(conda.name));
  if (entry === undefined) throw new Error(`${conda.name}: no info member`);
  return storedMemberData(conda.bytes, directory, entry);
}

function zipYauzl(conda: { name: string; bytes: Buffer }): Promise<Uint8Array> {
  const wanted = infoMemberName(conda.name);
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(conda.bytes, { lazyEntries: true, strictFileNames: true }, (error, zip) => {
      if (error) return reject(error);
      zip.on('error', reject);
      zip.on('end', () => reject(new Error(`${conda.name}: no info member`)));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== wanted) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          collect(stream).then((data) => {
            zip.close();
            // yauzl checks sizes but not the CRC; our reader does, so the same job includes it.
            if (crc32(data) !== entry.crc32) reject(new Error(`${conda.name}: CRC mismatch`));
            else resolve(data);
          }, reject);
        });
      });
      zip.readEntry();
    });
  });
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const rounds = Number(argument('rounds', '7'));
  const records = Number(argument('records', '20000'));
  print(`codecs bench: median of ${rounds} rounds after a warm-up; node ${process.version}`);

  const { documents, json } = await shardDocuments(records);
  const values = documents.map((document) => decodeMsgpack(document));
  const documentBytes = documents.reduce((sum, document) => sum + document.length, 0);
  print(`input: ${documents.length} shards of ${records} synthetic records`);

  const encoder = new MsgpackEncoder();
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  await compare(
    'msgpack encode (shards)',
    { bytes: documentBytes, per: 'of msgpack out' },
    [
      {
        name: 'ours (MsgpackEncoder)',
        run: () => values.map((value) => Buffer.from(encoder.encodeView(value))),
      },
      { name: 'msgpackr 2.1.3 (Packr)', run: () => values.map((value) => packr.pack(value)) },
    ],
    rounds,
    (ours, theirs) => {
      const oursIdentical = ours.every((bytes, i) => bytes.equals(documents[i]!));
      const theirsIdentical = theirs.filter((bytes, i) => bytes.equals(documents[i]!)).length;
      return `ours byte-identical to the shard writer's: ${oursIdentical}; msgpackr identical for ${theirsIdentical} of ${theirs.length} shards`;
    },
  );

  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
  await compare(
    'msgpack decode (shards)',
    { bytes: documentBytes, per: 'of msgpack in' },
    [
      { name: 'ours (decodeMsgpack)', run: () => documents.map((document) => decodeMsgpack(document)) },
      { name: 'msgpackr 2.1.3 (Unpackr)', run: () => documents.map((document) => unpackr.unpack(document)) },
    ],
    rounds,
    (ours, theirs) => `equal values: ${isDeepStrictEqual(ours.map(plain), theirs.map(plain))}`,
  );
  print(`  hostile documents: ours ${refusedCount((bytes) => decodeMsgpack(bytes))}`);
  print(`  hostile documents: msgpackr ${refusedCount((bytes) => unpackr.unpack(bytes))}`);

  const tarballs = await fixtureTarballs();
  const tarBytes = tarballs.reduce((sum, tar) => sum + tar.length, 0);
  await compare(
    `tar (${tarballs.length} fixture package tarballs)`,
    { bytes: tarBytes, per: 'of tar' },
    [
      { name: 'ours (TarReader)', run: () => Promise.all(tarballs.map(listOurs)) },
      { name: 'tar-stream 3.3.0 (+ name check)', run: () => Promise.all(tarballs.map(listTarStream)) },
    ],
    rounds,
    (ours, theirs) => `same entries and bodies: ${isDeepStrictEqual(ours, theirs)}`,
  );

  const condas = fixtureArchives('.conda');
  const condaBytes = condas.reduce((sum, conda) => sum + conda.bytes.length, 0);
  await compare(
    `zip (${condas.length} fixture .conda files)`,
    { bytes: condaBytes, per: 'of .conda' },
    [
      { name: 'ours (readZipDirectory)', run: () => condas.map(zipOurs) },
      { name: 'yauzl 3.4.0 (+ CRC-32 check)', run: () => Promise.all(condas.map(zipYauzl)) },
    ],
    rounds,
    (ours, theirs) =>
      `same info members: ${ours.every((bytes, i) => Buffer.from(bytes).equals(Buffer.from(theirs[i]!)))}`,
  );

  const quarter = Math.ceil(json.length / 4);
  const multiFrame = Buffer.concat(
    [0, 1, 2, 3].map((i) => zstdCompressSync(json.subarray(i * quarter, (i + 1) * quarter))),
  );
  await compare(
    'zstd decode (4-frame repodata.json.zst)',
    { bytes: json.length, per: 'of JSON out' },
    [
      { name: 'ours (walk frames + Node)', run: () => collect(decompressZstd(multiFrame)) },
      {
        name: 'Node createZstdDecompress alone',
        run: () => {
          const zstd = createZstdDecompress();
          zstd.end(multiFrame);
          return collect(zstd);
        },
      },
    ],
    rounds,
    (ours, theirs) => `equal output, equal to the JSON: ${ours.equals(theirs) && ours.equals(json)}`,
  );

  const bzip2Inputs = [
    ...fixtureArchives('.tar.bz2').map((archive) => archive.bytes),
    Buffer.from(compressBzip2Sync(json.subarray(0, 2 * MiB), { level: 9 })),
  ];
  const bzip2Out = (
    await Promise.all(bzip2Inputs.map((bytes) => collect(decompressBzip2(Readable.from([bytes])))))
  ).reduce((sum, out) => sum + out.length, 0);
  await compare(
    `bzip2 decode (${bzip2Inputs.length - 1} fixture .tar.bz2 + a 2 MiB repodata.json.bz2)`,
    { bytes: bzip2Out, per: 'out' },
    [
      {
        name: 'ours (decompressBzip2, streaming)',
        run: () => Promise.all(bzip2Inputs.map((bytes) => collect(decompressBzip2(Readable.from([bytes]))))),
      },
      {
        name: 'seek-bzip 2.0.0 (whole buffer)',
        run: () => bzip2Inputs.map((bytes) => seekBzip.decode(bytes)),
      },
    ],
    rounds,
    (ours, theirs) => `same bytes: ${ours.every((out, i) => out.equals(theirs[i]!))}`,
  );
}

/** Buffers as plain byte arrays, so values from both decoders compare by content. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, plain(member)]));
  }
  return value;
}

await main();
