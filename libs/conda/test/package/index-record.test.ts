import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  chunkedSource,
  condaArchive,
  json,
  SAMPLE_FILENAME_STEM,
  SAMPLE_INDEX,
} from '../../../../test/support/archive-builders.ts';
import { CondaErrorCode } from '../../src/errors.ts';
import { buildIndexRecord, INDEX_JSON_DROPPED_KEYS, recordFromIndexJson } from '../../src/package/index.ts';
import { fixturePath, readFixture, readFixtureJson } from './fixtures.ts';

type RecordMap = Record<string, Record<string, unknown>>;

/** Channels whose repodata.json conda-index (or conda-build's indexer) wrote from the files beside it. */
const INDEXED_CHANNELS = [
  { dir: 'conda/tests/data/conda_format_repo/linux-64', subdir: 'linux-64' },
  { dir: 'conda/tests/data/conda_format_repo/osx-64', subdir: 'osx-64' },
  { dir: 'conda/tests/data/conda_format_repo/win-32', subdir: 'win-32' },
  { dir: 'conda/tests/data/conda_format_repo/win-64', subdir: 'win-64' },
  { dir: 'conda/tests/data/test-recipes/noarch', subdir: 'noarch' },
  { dir: 'conda-index/tests/index_hotfix_pkgs/osx-64', subdir: 'osx-64' },
];

/** Records of a fixture repodata.json whose package file is in the fixture set. */
function recordsWithFiles(dir: string): [string, Record<string, unknown>][] {
  const repodata = readFixtureJson(dir, 'repodata.json');
  const all = { ...(repodata.packages as RecordMap), ...(repodata['packages.conda'] as RecordMap) };
  const present = Object.entries(all).filter(([filename]) => {
    try {
      readFixture(dir, filename);
      return true;
    } catch {
      return false;
    }
  });
  return present;
}

describe('buildIndexRecord reproduces conda-index records', () => {
  for (const { dir, subdir } of INDEXED_CHANNELS) {
    test(`every record of ${dir}/repodata.json whose file is present`, async () => {
      const records = recordsWithFiles(dir);
      assert.ok(records.length >= 2, `${dir} has ${records.length} records with files`);
      for (const [filename, expected] of records) {
        const built = await buildIndexRecord(filename, readFixture(dir, filename), subdir);
        assert.deepEqual(built, { filename, record: expected }, filename);
      }
    });
  }

  test('the .conda files of index_hotfix_pkgs (absent from its repodata) differ from their twins only in digests', async () => {
    const dir = 'conda-index/tests/index_hotfix_pkgs/osx-64';
    const repodata = readFixtureJson(dir, 'repodata.json');
    assert.deepEqual(repodata['packages.conda'], {});
    for (const [filename, twinRecord] of Object.entries(repodata.packages as RecordMap)) {
      const condaName = filename.replace(/\.tar\.bz2$/, '.conda');
      const bytes = readFixture(dir, condaName);
      const { record } = await buildIndexRecord(condaName, bytes, 'osx-64');
      const { md5, sha256, size, ...rest } = record;
      const { md5: _md5, sha256: _sha256, size: _size, ...twinRest } = twinRecord;
      assert.deepEqual(rest, twinRest, condaName);
      assert.equal(size, bytes.length);
      assert.notEqual(sha256, twinRecord.sha256);
      assert.notEqual(md5, twinRecord.md5);
    }
  });

  test("matches conda-index's own expectation for the conda-index-pkg-a pair (test_new_pkg_format_preferred)", async () => {
    // Expected records copied from conda-index tests/test_index.py.
    const common = {
      build: 'py27h5e241af_0',
      build_number: 0,
      depends: ['python >=2.7,<2.8.0a0'],
      license: 'BSD',
      name: 'conda-index-pkg-a',
      subdir: 'osx-64',
      timestamp: 1508520039632,
      version: '1.0',
    };
    const dir = 'conda-index/tests/archives';
    const tarBz2 = await buildIndexRecord(
      'conda-index-pkg-a-1.0-py27h5e241af_0.tar.bz2',
      readFixture(dir, 'conda-index-pkg-a-1.0-py27h5e241af_0.tar.bz2'),
      'osx-64',
    );
    assert.deepEqual(tarBz2.record, {
      ...common,
      md5: '37861df8111170f5eed4bff27868df59',
      sha256: '459f3e9b2178fa33bdc4e6267326405329d1c1ab982273d9a1c0a5084a1ddc30',
      size: 8733,
    });
    const conda = await buildIndexRecord(
      'conda-index-pkg-a-1.0-py27h5e241af_0.conda',
      readFixture(dir, 'conda-index-pkg-a-1.0-py27h5e241af_0.conda'),
      'osx-64',
    );
    assert.deepEqual(conda.record, {
      ...common,
      md5: '4ed4b435f400dac1aabdc1fff06f78ff',
      sha256: '67b07b644105439515cc5c8c22c86939514cacf30c8c574cd70f5f1267a40f19',
      size: 9296,
    });
  });

  test('differs from a hand-made mamba record exactly where that record goes beyond index.json', async () => {
    // micromamba's test channel lists _r-mutex with "constrains": [], "platform": null and
    // "track_features": "", none of which is in the package's index.json (and platform is a key
    // conda-index drops): the record was not written by conda-index.
    const dir = 'mamba/micromamba/test-server/channel_a/noarch';
    const filename = '_r-mutex-1.0.1-anacondar_1.tar.bz2';
    const expected = (readFixtureJson(dir, 'repodata.json').packages as RecordMap)[filename]!;
    const { record } = await buildIndexRecord(
      filename,
      createReadStream(fixturePath(dir, filename)),
      'noarch',
    );
    assert.deepEqual({ ...record, constrains: [], platform: null, track_features: '' }, expected);
    assert.deepEqual(
      Object.keys(expected).filter((key) => !(key in record)),
      ['constrains', 'platform', 'track_features'],
    );
  });
});

describe('the record is index.json as conda-index filters it', () => {
  test('drops exactly the keys conda-index drops, keeps the rest verbatim, adds no key', async () => {
    const nano = await buildIndexRecord(
      'nano-2.4.1-0.tar.bz2',
      readFixture('conda-index/tests/archives/nano-2.4.1-0.tar.bz2'),
      'osx-64',
    );
    assert.deepEqual(nano.record, {
      preferred_env: '_nano_',
      build: '0',
      build_number: 0,
      depends: ['ncurses 5.9', 'zlib 1.2*'],
      license: 'GPL',
      name: 'nano',
      requires: ['ncurses 5.9', 'zlib 1.2.8'],
      version: '2.4.1',
      md5: nano.record.md5,
      sha256: nano.record.sha256,
      size: 790,
    });
    const everything = Object.fromEntries(INDEX_JSON_DROPPED_KEYS.map((key) => [key, 'x']));
    // JSON.parse makes "__proto__" an own key, as it is in a hostile index.json.
    const indexJson = { ...everything, ...JSON.parse('{"name": "a", "__proto__": {"polluted": true}}') };
    const record = recordFromIndexJson(indexJson, { md5: 'm', sha256: 's', size: 1 });
    assert.deepEqual(Object.keys(record), ['name', '__proto__', 'md5', 'sha256', 'size']);
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(record, '__proto__')?.value, { polluted: true });
  });

  test('refuses a record for another subdir', async () => {
    const archive = condaArchive([{ name: 'info/index.json', body: json(SAMPLE_INDEX) }]);
    await assert.rejects(buildIndexRecord(`${SAMPLE_FILENAME_STEM}.conda`, archive, 'osx-64'), {
      code: CondaErrorCode.SubdirMismatch,
      message: /field "subdir" must be "osx-64" \(the subdir being read\), got "linux-64"/,
    });
  });

  test('refuses a file whose name does not match its index.json', async () => {
    const archive = condaArchive([
      { name: 'info/index.json', body: json({ ...SAMPLE_INDEX, version: '2.0' }) },
    ]);
    await assert.rejects(buildIndexRecord(`${SAMPLE_FILENAME_STEM}.conda`, archive, 'linux-64'), {
      code: CondaErrorCode.InvalidFilename,
      message: /filename must equal "<name>-<version>-<build>.conda" = "sample-2.0-h0_0.conda"/,
    });
  });

  test('refuses a filename that is not a package name before reading anything', async () => {
    // (A source that was read would end up closed.)
    const source = chunkedSource(new Uint8Array(10), 1);
    await assert.rejects(buildIndexRecord('../sample-1.0-0.conda', source, 'linux-64'), {
      code: CondaErrorCode.InvalidFilename,
    });
    await assert.rejects(buildIndexRecord(path.join('a', 'sample-1.0-0.zip'), source, 'linux-64'), {
      code: CondaErrorCode.InvalidFilename,
    });
    assert.equal(source.closed, false);
  });
});
