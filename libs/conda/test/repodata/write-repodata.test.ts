import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { CondaErrorCode } from '../../src/errors.ts';
import {
  canonicalRecordJson,
  compareFilenames,
  type RepodataEntry,
  type RepodataWriterInput,
  writeRepodata,
} from '../../src/repodata/index.ts';
import { assertCondaError, fixture, parseBytes, seededRandom, writeParsed } from './helpers.ts';

/** Valid fixtures with records, used for round trips. */
const ROUND_TRIP: Record<string, string> = {
  'conda/tests/data/repodata/r_linux-64.json': 'linux-64',
  'conda/tests/data/repodata/main_noarch.json': 'noarch',
  'rattler/test-data/channels/pytorch/linux-64/repodata.json': 'linux-64',
  'mamba/libmamba/tests/data/repodata/conda-forge-repodata-version-2.json': 'linux-64',
  'conda/tests/data/base_url_channel/linux-64/repodata.json': 'linux-64',
  'conda/tests/data/conda_format_repo/win-64/repodata.json': 'win-64',
  'conda-index/tests/index_hotfix_pkgs/osx-64/repodata.json': 'osx-64',
};

async function collect(input: RepodataWriterInput, chunkBytes?: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeRepodata(input, { chunkBytes })) chunks.push(chunk);
  return chunks;
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

/** The same record with its keys inserted in reverse order, at every depth. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, member]) => [key, reverseKeys(member)]),
  );
}

describe('writeRepodata round trips on real fixtures', () => {
  for (const [file, subdir] of Object.entries(ROUND_TRIP)) {
    test(`${file}: parse → write → parse keeps every record (normalized)`, async () => {
      const original = await parseBytes(fixture(file), { subdir });
      const written = await writeParsed(original, subdir);
      const reparsed = await parseBytes(written, { subdir });

      const expected = new Map(
        original.entries.map((entry) => [entry.filename, JSON.parse(canonicalRecordJson(entry.record))]),
      );
      assert.equal(reparsed.entries.length, original.entries.length);
      assert.deepEqual(new Map(reparsed.entries.map((entry) => [entry.filename, entry.record])), expected);
      const filenames = reparsed.entries.map((entry) => entry.filename);
      const byFormat = (format: string) =>
        reparsed.entries.filter((e) => e.format === format).map((e) => e.filename);
      assert.deepEqual(byFormat('tar.bz2'), [...byFormat('tar.bz2')].sort(compareFilenames));
      assert.deepEqual(byFormat('conda'), [...byFormat('conda')].sort(compareFilenames));
      assert.equal(new Set(filenames).size, filenames.length);

      const { base_url: _baseUrl, ...info } = original.header.info;
      assert.deepEqual(reparsed.header.info, { ...info, subdir });
      assert.equal(reparsed.header.repodataVersion, 1);
      assert.deepEqual(reparsed.header.removed, [...new Set(original.header.removed)].sort());
      assert.deepEqual({ ...reparsed.header.extra }, {});
      for (const entry of reparsed.entries) {
        assert.ok(Array.isArray(entry.record.depends), `${entry.filename} has depends`);
        assert.notEqual(entry.record.constrains, null);
        for (const key of ['fn', 'url', 'channel', 'schannel']) assert.equal(key in entry.record, false);
      }

      // Writing what we wrote gives the same bytes again.
      assert.deepEqual(await writeParsed(reparsed, subdir), written);
    });
  }

  test('output is identical across runs and independent of input order and key order', async () => {
    const subdir = 'linux-64';
    const original = await parseBytes(fixture('rattler/test-data/channels/pytorch/linux-64/repodata.json'), {
      subdir,
    });
    const first = await writeParsed(original, subdir);
    assert.deepEqual(await writeParsed(original, subdir), first);
    const scrambled = {
      header: original.header,
      entries: shuffled(original.entries, 42).map(
        (entry): RepodataEntry => ({
          ...entry,
          record: reverseKeys(entry.record) as RepodataEntry['record'],
        }),
      ),
    };
    assert.notDeepEqual(
      scrambled.entries.map((entry) => entry.filename),
      original.entries.map((entry) => entry.filename),
    );
    assert.deepEqual(await writeParsed(scrambled, subdir), first);
  });
});

describe('writeRepodata layout and checks', () => {
  const record = { name: 'a', version: '1', build: '0', build_number: 0, size: 1, md5: 'a'.repeat(32) };
  const json = canonicalRecordJson(record);

  test('exact layout: conda-index compact JSON, no trailing newline', async () => {
    const chunks = await collect({
      subdir: 'noarch',
      info: {
        subdir: 'linux-64',
        base_url: 'https://upstream.invalid/',
        channel_relations: { base: 'x' },
        repodata_revisions: [1],
        arch: null,
      },
      removed: ['b-1-0.conda', 'a-1-0.tar.bz2', 'b-1-0.conda'],
      packages: [{ filename: 'a-1-0.tar.bz2', json }],
      packagesConda: [
        { filename: 'a-1-0.conda', json },
        { filename: 'a-1-1.conda', record: { ...record, build: '1', fn: 'x' }, format: 'conda' },
      ],
    });
    assert.equal(
      Buffer.concat(chunks).toString(),
      '{"info":{"arch":null,"subdir":"noarch"},' +
        `"packages":{"a-1-0.tar.bz2":${json}},` +
        `"packages.conda":{"a-1-0.conda":${json},"a-1-1.conda":${json.replace('"build":"0"', '"build":"1"')}},` +
        '"removed":["a-1-0.tar.bz2","b-1-0.conda"],"repodata_version":1}',
    );
  });

  test('empty input still writes a complete document', async () => {
    const chunks = await collect({ subdir: 'noarch', packages: [], packagesConda: [] });
    assert.equal(
      Buffer.concat(chunks).toString(),
      '{"info":{"subdir":"noarch"},"packages":{},"packages.conda":{},"removed":[],"repodata_version":1}',
    );
  });

  test('yields bounded chunks, never one giant string', async () => {
    const original = await parseBytes(fixture('conda/tests/data/repodata/r_linux-64.json'), {
      subdir: 'linux-64',
    });
    const sorted = [...original.entries].sort((a, b) => compareFilenames(a.filename, b.filename));
    async function* slowly() {
      for (const entry of sorted) yield { filename: entry.filename, json: canonicalRecordJson(entry.record) };
    }
    const chunks = await collect(
      {
        subdir: 'linux-64',
        info: original.header.info,
        removed: original.header.removed,
        packages: slowly(),
        packagesConda: [],
      },
      16 * 1024,
    );
    assert.ok(chunks.length > 50, `${chunks.length} chunks`);
    for (const chunk of chunks)
      assert.ok(chunk.length < 16 * 1024 + 8 * 1024, `chunk of ${chunk.length} bytes`);
    assert.ok(Buffer.concat(chunks).equals(await writeParsed(original, 'linux-64')));
  });

  test('entries out of order, duplicated or in the wrong section are rejected', async () => {
    await assertCondaError(
      collect({
        subdir: 'noarch',
        packages: [],
        packagesConda: [
          { filename: 'b-1-0.conda', json },
          { filename: 'a-1-0.conda', json },
        ],
      }),
      CondaErrorCode.InvalidFilename,
      'repodata writer: entries of "packages.conda" must be sorted by filename without duplicates, got "a-1-0.conda" after "b-1-0.conda"',
    );
    await assertCondaError(
      collect({
        subdir: 'noarch',
        packages: [
          { filename: 'a-1-0.tar.bz2', json },
          { filename: 'a-1-0.tar.bz2', json },
        ],
        packagesConda: [],
      }),
      CondaErrorCode.InvalidFilename,
      /got "a-1-0\.tar\.bz2" after "a-1-0\.tar\.bz2"$/,
    );
    await assertCondaError(
      collect({ subdir: 'noarch', packages: [{ filename: 'a-1-0.conda', json }], packagesConda: [] }),
      CondaErrorCode.InvalidFilename,
      'invalid package filename "a-1-0.conda": expected the extension ".tar.bz2" for an entry under "packages"',
    );
    await assertCondaError(
      collect({ subdir: 'noarch', packages: [], packagesConda: [], removed: ['../x-1-0.conda'] }),
      CondaErrorCode.InvalidFilename,
      /^invalid package filename "\.\.\/x-1-0\.conda"/,
    );
  });
});
