import assert from 'node:assert/strict';
import type { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { inspectZstdFrame } from '@condasync/codecs';
import { CondaErrorCode } from '../../src/errors.ts';
import {
  canonicalRecordJson,
  compareFilenames,
  type RepodataEntry,
  type RepodataWriterEntry,
} from '../../src/repodata/index.ts';
import {
  buildShards,
  decodeShard,
  decodeShardIndex,
  generateShards,
  type Shard,
  type ShardWriterOptions,
  shardFilename,
  verifyShard,
} from '../../src/shards/index.ts';
import { assertCondaError, FIXTURES, fixture, parseBytes, seededRandom } from '../repodata/helpers.ts';

const FORMAT_REPO = 'conda/tests/data/conda_format_repo/linux-64/';

/** Options that reproduce conda's fixture: hashes as hex strings, shards next to the index. */
const CONDA_FIXTURE_OPTIONS: ShardWriterOptions = { hashEncoding: 'hex', shardsBaseUrl: '' };

/** Every repodata.json under the fixtures (subdir = parent folder), plus the named repodata files. */
function repodataFixtures(): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(FIXTURES, relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/^repodata(_from_packages(_\d+)?)?\.json$/.test(entry.name)) {
        found.push([child, path.posix.basename(relative)]);
      }
    }
  };
  walk('');
  found.push(
    ['conda/tests/data/repodata/r_linux-64.json', 'linux-64'],
    ['conda/tests/data/repodata/main_noarch.json', 'noarch'],
    ['mamba/libmamba/tests/data/repodata/conda-forge-repodata-version-2.json', 'linux-64'],
  );
  return found.sort(([a], [b]) => compareFilenames(a, b));
}

async function fixtureEntries(file: string, subdir: string) {
  const parsed = await parseBytes(fixture(file), { subdir, onInvalidRecord: () => undefined });
  const entries: RepodataWriterEntry[] = parsed.entries.map((entry) => ({
    filename: entry.filename,
    json: canonicalRecordJson(entry.record),
  }));
  return { parsed, entries };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Reads back everything the writer made: verifies each shard's name, decodes it for its package. */
function readBack(subdir: string, built: { index: Buffer; shards: Array<{ name: string; bytes: Buffer }> }) {
  const index = decodeShardIndex(built.index, { subdir });
  const files = new Map(built.shards.map((shard) => [shard.name, shard.bytes]));
  const shards = new Map<string, Shard>();
  for (const [packageName, hash] of index.shards) {
    const bytes = files.get(hash);
    assert.ok(bytes, `the index names a shard for "${packageName}" that was written`);
    verifyShard(hash, bytes);
    shards.set(packageName, decodeShard(bytes, { subdir, packageName }));
  }
  return { index, shards };
}

describe('conda fixture reproduction (conda_format_repo/linux-64)', () => {
  test('hex hashes and shards_base_url "": the index and both shards, byte for byte', async () => {
    const { entries } = await fixtureEntries(FORMAT_REPO + 'repodata.json', 'linux-64');
    const built = await buildShards('linux-64', entries, CONDA_FIXTURE_OPTIONS);
    assert.deepEqual(built.index, fixture(FORMAT_REPO + 'repodata_shards.msgpack.zst'));
    assert.deepEqual(
      built.shards.map((shard) => [shard.packageName, shard.name]),
      [
        ['libgcc-ng', '2dcdacf7009b4f1c21f452c5079384340257e0e1cbecb8ec484984d1fa85b115'],
        ['zlib', '56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157'],
      ],
    );
    for (const shard of built.shards) {
      assert.deepEqual(shard.bytes, fixture(FORMAT_REPO + shardFilename(shard.name)), shard.packageName);
    }
  });

  test('default options (bin hashes, "./shards/"): same decoded content as the fixture', async () => {
    const { entries } = await fixtureEntries(FORMAT_REPO + 'repodata.json', 'linux-64');
    const ours = readBack('linux-64', await buildShards('linux-64', entries));
    const theirs = decodeShardIndex(fixture(FORMAT_REPO + 'repodata_shards.msgpack.zst'));
    assert.deepEqual([...ours.index.shards.keys()], [...theirs.shards.keys()]);
    assert.deepEqual(ours.index.info, { ...theirs.info, shards_base_url: './shards/' });
    for (const [packageName, hash] of theirs.shards) {
      const expected = decodeShard(fixture(FORMAT_REPO + shardFilename(hash)), { packageName });
      assert.deepEqual(ours.shards.get(packageName), expected, packageName);
    }
  });

  // With bin hashes the bytes differ from conda's fixture (which keeps hex strings), so these
  // index hashes were checked against a reference built the conda-index way: Python
  // `msgpack.packb` (1.x) of the same shards with `bytes.fromhex` hashes, compressed by
  // `zstandard.ZstdCompressor()` (level 3, libzstd 1.5.7), index `{"info", "version", "shards"}`.
  // Every shard name and the index bytes matched. The index pins every shard's hash.
  const PINNED: Array<[string, string, string]> = [
    [
      FORMAT_REPO + 'repodata.json',
      'linux-64',
      '9fb66e08e133ed6f25dbfefc61a1eb6e145dc261fa15854f176574922a9d9f08',
    ],
    [
      'conda/tests/data/conda_format_repo/win-64/repodata.json',
      'win-64',
      '19642eac28681a3c90f3102688669c3afe6ea973bea5d427c858e8469c5e08ea',
    ],
    [
      'conda/tests/data/repodata/r_linux-64.json',
      'linux-64',
      'da1bd7dc68b5c70b87ff43a83220462ef0c81398974b5b5565bc128b6003f363',
    ],
    [
      'conda/tests/data/repodata/main_noarch.json',
      'noarch',
      '1d806c0a43a111ff92860c38b99edb78ea06d7c0ff41c4f77a2c972b88b3ae2e',
    ],
    [
      'rattler/test-data/channels/pytorch/linux-64/repodata.json',
      'linux-64',
      'cf3b163eeb97f1b19b79f7bebacc8a584df3bd601c26b3dda0c9ceaad3406ff9',
    ],
  ];
  for (const [file, subdir, indexSha256] of PINNED) {
    test(`bin hashes: ${file} gives the index conda-index's encoding gives`, async () => {
      const { entries } = await fixtureEntries(file, subdir);
      const built = await buildShards(subdir, entries);
      assert.equal(sha256Hex(built.index), indexSha256);
      for (const shard of built.shards) assert.equal(sha256Hex(shard.bytes), shard.name);
    });
  }
});

describe('round trip of every repodata fixture: writer → reader', () => {
  for (const [file, subdir] of repodataFixtures()) {
    test(`${file} (${subdir})`, async () => {
      const { parsed, entries } = await fixtureEntries(file, subdir);
      const built = await buildShards(subdir, entries, { removed: parsed.header.removed });
      const { index, shards } = readBack(subdir, built);

      // Expected: JSON.parse of the source, only the records the parser accepted, each normalized
      // the way repodata.json is written (canonicalRecordJson), grouped by record name.
      const source = JSON.parse(fixture(file).toString('utf8')) as Record<string, unknown>;
      const valid = new Set(parsed.entries.map((entry) => entry.filename));
      const expected = new Map<string, Shard>();
      for (const section of ['packages', 'packages.conda'] as const) {
        const records = (source[section] ?? {}) as Record<string, Record<string, unknown>>;
        for (const filename of Object.keys(records).sort(compareFilenames)) {
          if (!valid.has(filename)) continue;
          const record = records[filename]!;
          const name = record.name as string;
          if (!expected.has(name)) expected.set(name, { packages: {}, 'packages.conda': {} });
          expected.get(name)![section][filename] = JSON.parse(canonicalRecordJson(record));
        }
      }
      for (const filename of parsed.header.removed) {
        const name = filename.replace(/-[^-]+-[^-]+\.(conda|tar\.bz2)$/, '');
        const shard = expected.get(name);
        if (shard) shard.removed = [...(shard.removed ?? []), filename].sort(compareFilenames);
      }
      assert.deepEqual(shards, expected);
      assert.equal(index.shards.size, expected.size);
      assert.deepEqual(index.info, { base_url: '', shards_base_url: './shards/', subdir });
      assert.equal(index.version, 1);
      assert.deepEqual(
        built.shards.map((shard) => shard.packageName),
        [...expected.keys()].sort(compareFilenames),
      );
    });
  }
});

describe('buildShards output', () => {
  test('deterministic: input order, key order and entry kind do not change a byte', async () => {
    const file = 'rattler/test-data/channels/pytorch/linux-64/repodata.json';
    const { parsed, entries } = await fixtureEntries(file, 'linux-64');
    const first = await buildShards('linux-64', entries);
    assert.deepEqual(await buildShards('linux-64', entries), first);
    assert.deepEqual(await buildShards('linux-64', shuffled(entries, 7)), first);
    const reversedKeys: RepodataEntry[] = shuffled(parsed.entries, 9).map((entry) => ({
      ...entry,
      record: Object.fromEntries(Object.entries(entry.record).reverse()) as RepodataEntry['record'],
    }));
    assert.deepEqual(await buildShards('linux-64', reversedKeys), first);
    async function* slowly() {
      for (const entry of entries) yield entry;
    }
    assert.deepEqual(await buildShards('linux-64', slowly()), first);
  });

  test('generateShards yields shards in package-name order and returns the index', async () => {
    const { entries } = await fixtureEntries('conda/tests/data/repodata/main_noarch.json', 'noarch');
    const generator = generateShards('noarch', entries);
    const names: string[] = [];
    let index: Buffer | undefined;
    for (;;) {
      const step = await generator.next();
      if (step.done) {
        index = step.value;
        break;
      }
      names.push(step.value.packageName);
    }
    assert.equal(names.length, 308);
    assert.deepEqual(names, [...names].sort(compareFilenames));
    assert.deepEqual(index, (await buildShards('noarch', entries)).index);
  });

  test('each file is one zstd frame with its content size and no checksum, named by its sha256', async () => {
    const { entries } = await fixtureEntries(FORMAT_REPO + 'repodata.json', 'linux-64');
    const built = await buildShards('linux-64', entries);
    for (const bytes of [built.index, ...built.shards.map((shard) => shard.bytes)]) {
      const frame = inspectZstdFrame(bytes);
      assert.equal(frame.frameBytes, bytes.length);
      assert.notEqual(frame.contentSize, undefined);
      assert.equal(frame.hasChecksum, false);
    }
    const checked = await buildShards('linux-64', entries, { zstdChecksum: true });
    assert.equal(inspectZstdFrame(checked.index).hasChecksum, true);
  });

  test('options: URLs, created_at, zstd level, removed', async () => {
    const { entries } = await fixtureEntries(FORMAT_REPO + 'repodata.json', 'linux-64');
    const built = await buildShards('linux-64', entries, {
      baseUrl: 'https://example.invalid/ch/linux-64/',
      shardsBaseUrl: 'https://shards.example.invalid/',
      createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
      zstdLevel: 19,
      removed: ['zlib-1.2.8-0.tar.bz2', 'zlib-1.2.8-0.tar.bz2', 'gone-1-0.conda', 'zlib-1.0-0.conda'],
    });
    const { index, shards } = readBack('linux-64', built);
    assert.deepEqual(index.info, {
      base_url: 'https://example.invalid/ch/linux-64/',
      created_at: '2026-01-02T03:04:05Z',
      shards_base_url: 'https://shards.example.invalid/',
      subdir: 'linux-64',
    });
    assert.deepEqual(shards.get('zlib')?.removed, ['zlib-1.0-0.conda', 'zlib-1.2.8-0.tar.bz2']);
    assert.equal(shards.get('libgcc-ng')?.removed, undefined);
    assert.equal(shards.has('gone'), false, 'a name with only removed files gets no shard');
    const level3 = readBack('linux-64', await buildShards('linux-64', entries));
    assert.deepEqual(shards.get('libgcc-ng'), level3.shards.get('libgcc-ng'));
  });

  test('an empty subdir gives an index with no shards', async () => {
    const built = await buildShards('noarch', []);
    assert.deepEqual(built.shards, []);
    assert.deepEqual(decodeShardIndex(built.index).shards, new Map());
  });

  test('refuses duplicates, bad filenames and records that do not match their filename', async () => {
    const record = { name: 'a', version: '1', build: '0', build_number: 0, size: 1, md5: 'a'.repeat(32) };
    const json = canonicalRecordJson(record);
    await assertCondaError(
      buildShards('noarch', [
        { filename: 'a-1-0.conda', json },
        { filename: 'a-1-0.conda', json },
      ]),
      CondaErrorCode.InvalidFilename,
      'shard writer: "a-1-0.conda" appears more than once under "packages.conda"',
    );
    await assertCondaError(
      buildShards('noarch', [{ filename: '../a-1-0.conda', json }]),
      CondaErrorCode.InvalidFilename,
      /invalid package filename "..\/a-1-0.conda"/,
    );
    await assertCondaError(
      buildShards('noarch', [{ filename: 'b-1-0.conda', json }]),
      CondaErrorCode.InvalidRecord,
      'shard writer: record "b-1-0.conda" has name "a", expected "b" (from its filename)',
    );
    await assertCondaError(
      buildShards('noarch', [{ filename: 'a-1-0.tar.bz2', format: 'conda', record } as RepodataEntry]),
      CondaErrorCode.InvalidFilename,
      /expected the extension ".conda"/,
    );
    await assertCondaError(
      buildShards('noarch', [{ filename: 'a-1-0.conda', json }], { removed: ['x/y-1-0.conda'] }),
      CondaErrorCode.InvalidFilename,
      /invalid package filename "x\/y-1-0.conda"/,
    );
  });

  test('records are the repodata.json records: depends always present, client keys dropped', async () => {
    const record = {
      name: 'a',
      version: '1',
      build: '0',
      build_number: 0,
      size: 1,
      sha256: 'f'.repeat(64),
      constrains: null,
      url: 'https://upstream.invalid/a-1-0.conda',
      fn: 'a-1-0.conda',
    };
    const entry: RepodataEntry = { filename: 'a-1-0.conda', format: 'conda', record };
    const { shards } = readBack('noarch', await buildShards('noarch', [entry]));
    assert.deepEqual(shards.get('a'), {
      packages: {},
      'packages.conda': {
        'a-1-0.conda': {
          build: '0',
          build_number: 0,
          depends: [],
          name: 'a',
          sha256: 'f'.repeat(64),
          size: 1,
          version: '1',
        },
      },
    });
  });
});
