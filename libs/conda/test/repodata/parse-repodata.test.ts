import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { globSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type CondaError, CondaErrorCode } from '../../src/errors.ts';
import { parseRepodata, type RepodataEntry, readRepodata } from '../../src/repodata/index.ts';
import {
  assertCondaError,
  chunked,
  FIXTURES,
  fixture,
  type Parsed,
  parseAll,
  parseBytes,
  randomSizes,
} from './helpers.ts';

/** Fixtures that are valid for us, with the subdir each was published for. */
const VALID: Record<string, string> = {
  'conda-index/tests/index_data/corrupt/noarch/current_repodata.json': 'noarch',
  'conda-index/tests/index_data/corrupt/noarch/repodata.json': 'noarch',
  'conda-index/tests/index_data/corrupt/noarch/repodata_from_packages.json': 'noarch',
  'conda-index/tests/index_hotfix_pkgs/noarch/current_repodata.json': 'noarch',
  'conda-index/tests/index_hotfix_pkgs/noarch/repodata.json': 'noarch',
  'conda-index/tests/index_hotfix_pkgs/noarch/repodata_from_packages.json': 'noarch',
  'conda-index/tests/index_hotfix_pkgs/osx-64/current_repodata.json': 'osx-64',
  'conda-index/tests/index_hotfix_pkgs/osx-64/repodata.json': 'osx-64',
  'conda-index/tests/index_hotfix_pkgs/osx-64/repodata_from_packages.json': 'osx-64',
  'conda/tests/data/base_url_channel/linux-64/repodata.json': 'linux-64',
  'conda/tests/data/base_url_channel/noarch/repodata.json': 'noarch',
  'conda/tests/data/base_url_channel/osx-64/repodata.json': 'osx-64',
  'conda/tests/data/base_url_channel/win-64/repodata.json': 'win-64',
  'conda/tests/data/conda_format_repo/linux-64/current_repodata.json': 'linux-64',
  'conda/tests/data/conda_format_repo/linux-64/repodata.json': 'linux-64',
  'conda/tests/data/conda_format_repo/noarch/current_repodata.json': 'noarch',
  'conda/tests/data/conda_format_repo/noarch/repodata.json': 'noarch',
  'conda/tests/data/conda_format_repo/osx-64/current_repodata.json': 'osx-64',
  'conda/tests/data/conda_format_repo/osx-64/repodata.json': 'osx-64',
  'conda/tests/data/conda_format_repo/win-32/current_repodata.json': 'win-32',
  'conda/tests/data/conda_format_repo/win-32/repodata.json': 'win-32',
  'conda/tests/data/conda_format_repo/win-64/current_repodata.json': 'win-64',
  'conda/tests/data/conda_format_repo/win-64/repodata.json': 'win-64',
  'conda/tests/data/repodata/main_noarch.json': 'noarch',
  'conda/tests/data/repodata/r_linux-64.json': 'linux-64',
  'conda/tests/data/test-recipes/noarch/repodata.json': 'noarch',
  // depends: null and constrains: null, fn/url, build_string, base_url with repodata_version 2.
  'mamba/libmamba/tests/data/repodata/conda-forge-repodata-version-2.json': 'linux-64',
  'rattler/test-data/channels/empty/noarch/repodata.json': 'noarch',
  'rattler/test-data/channels/openssl-run-exports-test/linux-64/repodata.json': 'linux-64',
  'rattler/test-data/channels/pytorch/linux-64/repodata.json': 'linux-64',
};

/** Fixtures that are legitimately invalid for us, with the exact error of their first bad record. */
const INVALID: Record<string, { subdir: string; code: CondaErrorCode; message: string }> = {
  // Hand-written test server data whose keys are not `<name>-<version>-<build>.tar.bz2`.
  'mamba/micromamba/test-server/channel_a/noarch/repodata.json': {
    subdir: 'noarch',
    code: CondaErrorCode.InvalidFilename,
    message:
      'repodata record "testpkg_0.1.0.tar.bz2": filename must equal "<name>-<version>-<build>.tar.bz2" = "testpkg-0.1.0-abc.tar.bz2"',
  },
  'mamba/micromamba/test-server/channel_a/linux-64/repodata.json': {
    subdir: 'linux-64',
    code: CondaErrorCode.InvalidFilename,
    message:
      'repodata record "A_0.1.0.tar.bz2": filename must equal "<name>-<version>-<build>.tar.bz2" = "a-0.1.0-abc.tar.bz2"',
  },
  'mamba/micromamba/test-server/channel_a/win-64/repodata.json': {
    subdir: 'win-64',
    code: CondaErrorCode.InvalidFilename,
    message:
      'repodata record "A_0.1.0.tar.bz2": filename must equal "<name>-<version>-<build>.tar.bz2" = "a-0.1.0-abc.tar.bz2"',
  },
  // Solver test data: a .conda file listed under "packages" (and more records like it).
  'rattler/test-data/channels/dummy/linux-64/repodata.json': {
    subdir: 'linux-64',
    code: CondaErrorCode.InvalidFilename,
    message:
      'invalid package filename "cuda-version-12.5-hd4f0392_3.conda": expected the extension ".tar.bz2" for an entry under "packages"',
  },
  // Patch test data: a filename whose version differs from the record's.
  'rattler/test-data/channels/patch/linux-64/repodata_from_packages.json': {
    subdir: 'linux-64',
    code: CondaErrorCode.InvalidFilename,
    message:
      'repodata record "cross-python_emscripten-32-3.12.1-h60d57d3_8.conda": filename must equal "<name>-<version>-<build>.conda" = "cross-python_emscripten-32-3.10.1-h60d57d3_8.conda"',
  },
  // Patch test data: a win-64 record inside linux-64 repodata.
  'rattler/test-data/channels/patch/linux-64/repodata_from_packages_5.json': {
    subdir: 'linux-64',
    code: CondaErrorCode.SubdirMismatch,
    message:
      'repodata record "pytorch-cpu-2.6.0-cpu_mkl_h8b52ce0_104.conda": field "subdir" must be "linux-64" (the subdir being read), got "win-64"',
  },
};

/** What JSON.parse says the document holds, in the shape the parser returns. */
function expectedFromJsonParse(bytes: Buffer): Parsed {
  const doc = bytes.toString('utf8').trim() === '' ? {} : JSON.parse(bytes.toString('utf8'));
  const entries: RepodataEntry[] = [];
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(doc)) {
    if (key === 'packages' || key === 'packages.conda') {
      for (const [filename, record] of Object.entries(doc[key] as Record<string, RepodataEntry['record']>)) {
        entries.push({ filename, format: key === 'packages' ? 'tar.bz2' : 'conda', record });
      }
    } else if (!['info', 'removed', 'repodata_version', 'signatures', 'v3'].includes(key)) {
      extra[key] = doc[key];
    }
  }
  return {
    entries,
    header: {
      info: doc.info ?? {},
      repodataVersion: doc.repodata_version ?? 1,
      removed: doc.removed ?? [],
      extra,
    },
  };
}

function normalize(parsed: Parsed): unknown {
  return { entries: parsed.entries, header: { ...parsed.header, extra: { ...parsed.header.extra } } };
}

describe('parseRepodata on the real fixtures', () => {
  test('every repodata fixture is classified as valid or invalid', () => {
    const found = new Set([
      ...globSync('**/*repodata*.json', { cwd: FIXTURES }),
      ...globSync('**/repodata/*.json', { cwd: FIXTURES }),
    ]);
    assert.deepEqual([...found].sort(), [...Object.keys(VALID), ...Object.keys(INVALID)].sort());
  });

  for (const [file, subdir] of Object.entries(VALID)) {
    test(`${file}: same records and header as JSON.parse, in any chunking`, async () => {
      const bytes = fixture(file);
      const expected = normalize(expectedFromJsonParse(bytes));
      const whole = await parseBytes(bytes, { subdir });
      assert.deepEqual(normalize(whole), expected);
      const random = await parseAll(chunked(bytes, randomSizes(bytes.length, 97, 700)), { subdir });
      assert.deepEqual(normalize(random), expected);
      if (bytes.length < 300_000) {
        const bytewise = await parseAll(chunked(bytes, [1]), { subdir });
        assert.deepEqual(normalize(bytewise), expected);
      }
    });
  }

  for (const [file, { subdir, code, message }] of Object.entries(INVALID)) {
    test(`${file}: rejected with ${code}`, async () => {
      await assertCondaError(parseBytes(fixture(file), { subdir }), code, message);
      await assertCondaError(parseAll(chunked(fixture(file), [3]), { subdir }), code, message);
    });
  }

  test('a source that refills one buffer for every chunk gives the same records', async () => {
    const bytes = fixture('rattler/test-data/channels/pytorch/linux-64/repodata.json');
    function* reusing(size: number) {
      const buffer = new Uint8Array(size);
      for (let at = 0; at < bytes.length; at += size) {
        const length = bytes.copy(buffer, 0, at, at + size);
        yield buffer.subarray(0, length);
      }
    }
    const expected = normalize(expectedFromJsonParse(bytes));
    for (const size of [7, 1000, 65536]) {
      assert.deepEqual(normalize(await parseAll(reusing(size), { subdir: 'linux-64' })), expected);
    }
  });

  test('onInvalidRecord skips bad records and keeps the good ones', async () => {
    const errors: CondaError[] = [];
    const parsed = await parseBytes(fixture('rattler/test-data/channels/dummy/linux-64/repodata.json'), {
      subdir: 'linux-64',
      onInvalidRecord: (error) => errors.push(error),
    });
    assert.equal(parsed.entries.length, 20);
    assert.equal(errors.length, 9);
    assert.ok(errors.every((error) => error.code === CondaErrorCode.InvalidFilename));
    assert.ok(parsed.entries.some((entry) => entry.filename === 'bors-2.1-bla_1.conda'));
  });

  test('the wrong subdir for the whole document is SUBDIR_MISMATCH on info.subdir', async () => {
    await assertCondaError(
      parseBytes(fixture('rattler/test-data/channels/pytorch/linux-64/repodata.json'), { subdir: 'osx-64' }),
      CondaErrorCode.SubdirMismatch,
      'repodata "info.subdir" must be "osx-64" (the subdir being read), got "linux-64"',
    );
  });
});

describe('parseRepodata document rules', () => {
  const record = (name: string, extra = '') =>
    `{"build":"0","build_number":0,"depends":[],"md5":"${'a'.repeat(32)}","name":"${name}","size":1,"version":"1"${extra}}`;

  test('an empty or blank document counts as {}', async () => {
    for (const text of ['', '  \n\t ']) {
      const parsed = await parseBytes(text, { subdir: 'noarch' });
      assert.deepEqual(normalize(parsed), {
        entries: [],
        header: { info: {}, repodataVersion: 1, removed: [], extra: {} },
      });
    }
    assert.deepEqual((await parseAll([], { subdir: 'noarch' })).entries, []);
  });

  test('keys in any order: info after the records is still read and checked', async () => {
    const text = `{"packages":{"a-1-0.tar.bz2":${record('a')}},"repodata_version":2,"info":{"subdir":"noarch","x":1}}`;
    const parsed = await parseBytes(text, { subdir: 'noarch' });
    assert.deepEqual(parsed.header.info, { subdir: 'noarch', x: 1 });
    assert.equal(parsed.header.repodataVersion, 2);
    assert.equal(parsed.entries[0]?.filename, 'a-1-0.tar.bz2');
    await assertCondaError(
      parseBytes(text.replace('"subdir":"noarch"', '"subdir":"linux-64"'), { subdir: 'noarch' }),
      CondaErrorCode.SubdirMismatch,
      'repodata "info.subdir" must be "noarch" (the subdir being read), got "linux-64"',
    );
  });

  test('escaped keys are decoded: \\u escapes in the section name and the filename', async () => {
    const text = `{"packages.cond\\u0061":{"a-1-0\\u002econda":${record('a')}}}`;
    const parsed = await parseBytes(text, { subdir: 'noarch' });
    assert.deepEqual(
      parsed.entries.map((entry) => [entry.filename, entry.format]),
      [['a-1-0.conda', 'conda']],
    );
  });

  test('strings with braces, quotes and backslashes inside records survive any chunking', async () => {
    const tricky = `,"summary":"} { ] [ \\" \\\\\\" \\\\","a\\"}":{"x":["}"]}`;
    const text = ` {\r\n "packages" : { "a-1-0.tar.bz2" : ${record('a', tricky)} } }\n`;
    for (const sizes of [[1], [2], [5, 3, 7]]) {
      const parsed = await parseAll(chunked(Buffer.from(text), sizes), { subdir: 'noarch' });
      assert.equal(parsed.entries[0]?.record.summary, '} { ] [ " \\" \\');
      assert.deepEqual(parsed.entries[0]?.record['a"}'], { x: ['}'] });
    }
  });

  test('unknown top-level keys land in extra; signatures and v3 are checked and dropped', async () => {
    const text = `{"_etag":"x","__proto__":{"polluted":true},"signatures":{"a-1-0.tar.bz2":{"k":"v"}},"v3":{"conda":{"a-1-0":${record('a')}},"whl":{}},"n":[1,2]}`;
    const parsed = await parseBytes(text, { subdir: 'noarch' });
    assert.deepEqual(
      { ...parsed.header.extra },
      { _etag: 'x', ['__proto__']: { polluted: true }, n: [1, 2] },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(parsed.entries.length, 0);
    await assertCondaError(
      parseBytes(text.replace('"whl":{}', '"whl":{"x":tru}'), { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      /^repodata is not valid JSON at byte \d+: value "v3\.whl\.x": /,
    );
  });

  test('duplicate keys are MALFORMED_JSON: top-level and filename', async () => {
    await assertCondaError(
      parseBytes('{"packages":{},"info":{},"packages":{}}', { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      'repodata is not valid JSON at byte 25: duplicate key "packages" in "top level"',
    );
    await assertCondaError(
      parseBytes(`{"packages":{"a-1-0.tar.bz2":${record('a')},"a-1-0.tar.bz2":${record('a')}}}`, {
        subdir: 'noarch',
      }),
      CondaErrorCode.MalformedJson,
      /duplicate key "a-1-0\.tar\.bz2" in "packages"$/,
    );
  });

  test('header fields are type-checked', async () => {
    await assertCondaError(
      parseBytes('{"repodata_version":3}', { subdir: 'noarch' }),
      CondaErrorCode.InvalidRecord,
      'repodata top-level "repodata_version" must be 1 or 2, got 3',
    );
    await assertCondaError(
      parseBytes('{"info":[]}', { subdir: 'noarch' }),
      CondaErrorCode.InvalidRecord,
      'repodata top-level "info" must be an object, got []',
    );
    await assertCondaError(
      parseBytes('{"removed":["../x-1-0.conda"]}', { subdir: 'noarch' }),
      CondaErrorCode.InvalidFilename,
      'repodata "removed" lists an invalid filename: invalid package filename "../x-1-0.conda": expected a bare filename without "/" or "\\"',
    );
    await assertCondaError(
      parseBytes('{"packages":[]}', { subdir: 'noarch' }),
      CondaErrorCode.InvalidRecord,
      `repodata "packages" at byte 12 must be an object of filename → record, got '['`,
    );
  });

  test('maxRecords caps the number of records', async () => {
    const text = `{"packages":{"a-1-0.tar.bz2":${record('a')},"b-1-0.tar.bz2":${record('b')}}}`;
    assert.equal((await parseBytes(text, { subdir: 'noarch', maxRecords: 2 })).entries.length, 2);
    await assertCondaError(
      parseBytes(text, { subdir: 'noarch', maxRecords: 1 }),
      CondaErrorCode.LimitExceeded,
      /^repodata for "noarch" has more than 1 records \(at byte \d+\)$/,
    );
  });

  test('readRepodata resolves to the header and closes the source when the callback throws', async () => {
    const bytes = fixture('rattler/test-data/channels/pytorch/linux-64/repodata.json');
    let count = 0;
    const header = await readRepodata(chunked(bytes, [4096]), { subdir: 'linux-64' }, () => {
      count++;
    });
    assert.equal(count, 2181);
    assert.deepEqual(header.info, { subdir: 'linux-64' });

    let closed = false;
    async function* source() {
      try {
        yield* chunked(bytes, [4096]);
      } finally {
        closed = true;
      }
    }
    await assert.rejects(
      readRepodata(source(), { subdir: 'linux-64' }, () => {
        throw new Error('stop');
      }),
      /stop/,
    );
    assert.equal(closed, true);
  });

  test('a consumer that stops early closes the source', async () => {
    let closed = false;
    async function* source() {
      try {
        yield* chunked(fixture('rattler/test-data/channels/pytorch/linux-64/repodata.json'), [4096]);
      } finally {
        closed = true;
      }
    }
    for await (const entry of parseRepodata(source(), { subdir: 'linux-64' })) {
      assert.equal(entry.format, 'tar.bz2');
      break;
    }
    assert.equal(closed, true);
  });
});
