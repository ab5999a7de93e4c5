import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { decompressBzip2, TarReader } from '@condasync/codecs';
import { chunkedSource } from '../../../../test/support/archive-builders.ts';
import { CondaErrorCode } from '../../src/errors.ts';
import { buildIndexRecord } from '../../src/package/index.ts';
import {
  applyPatchInstructions,
  type PatchableRepodata,
  parsePatchInstructions,
  REVOKED_DEPENDENCY,
} from '../../src/patch/index.ts';
import { readFixture, readFixtureJson } from '../package/fixtures.ts';

type RecordMap = Record<string, Record<string, unknown>>;

const RATTLER = 'rattler/test-data/channels/patch/linux-64';
const HOTFIX = 'conda-index/tests/index_hotfix_pkgs/osx-64';
const PY310_BZ2 = 'cross-python_emscripten-32-3.10.1-h60d57d3_8.tar.bz2';
const PY310_CONDA = 'cross-python_emscripten-32-3.10.1-h60d57d3_8.conda';
const PY312_CONDA = 'cross-python_emscripten-32-3.12.1-h60d57d3_8.conda';
const EMSCRIPTEN_BZ2 = 'emscripten_emscripten-32-3.1.27-h60d57d3_5.tar.bz2';

function rattlerRepodata(name = 'repodata_from_packages.json'): PatchableRepodata {
  return readFixtureJson(RATTLER, name) as PatchableRepodata;
}

/** A deep copy to edit into the expected result. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

describe('applyPatchInstructions on rattler’s patch fixtures (expectations from rattler’s snapshots)', () => {
  test('patch_instructions.json: a .tar.bz2 patch also patches its .conda twin; .conda patches apply on top', () => {
    const input = rattlerRepodata();
    const patched = applyPatchInstructions(input, readFixtureJson(RATTLER, 'patch_instructions.json'));
    const expected = copy(input) as Required<PatchableRepodata>;
    const py310Patch = {
      license: 'WOLF LICENSE',
      depends: ['coreutils', 'crossenv >=1.2', 'emscripten_emscripten-32', 'pip', 'wolfssl 12.0'],
      constrains: ['curl >5.0'],
    };
    Object.assign(expected.packages[PY310_BZ2]!, py310Patch);
    Object.assign(expected['packages.conda'][PY310_CONDA]!, py310Patch);
    expected['packages.conda'][PY312_CONDA]!.license = 'WOLF LICENSE II';
    assert.deepEqual(patched, expected);
    assert.deepEqual(input, rattlerRepodata(), 'the input is not modified');
    assert.equal(
      patched.packages[EMSCRIPTEN_BZ2],
      input.packages![EMSCRIPTEN_BZ2],
      'untouched records are shared',
    );
  });

  test('patch_instructions_2.json: removing a .tar.bz2 removes its .conda twin, both listed as removed', () => {
    const input = rattlerRepodata();
    const patched = applyPatchInstructions(input, readFixtureJson(RATTLER, 'patch_instructions_2.json'));
    assert.deepEqual(patched.packages, {});
    assert.deepEqual(Object.keys(patched['packages.conda']), [PY312_CONDA]);
    assert.deepEqual(patched.removed, [PY310_CONDA, PY310_BZ2, EMSCRIPTEN_BZ2]);
  });

  test('patch_instructions_3.json: removing a .conda leaves the .tar.bz2; absent files are not listed', () => {
    const input = rattlerRepodata();
    const patched = applyPatchInstructions(input, readFixtureJson(RATTLER, 'patch_instructions_3.json'));
    assert.deepEqual(patched.packages, input.packages);
    assert.deepEqual(Object.keys(patched['packages.conda']), [PY312_CONDA]);
    assert.deepEqual(patched.removed, [PY310_CONDA]);
  });

  test('patch_instructions_4.json: a new key (purls) is added to the record and its twin', () => {
    const input = rattlerRepodata();
    const patched = applyPatchInstructions(input, readFixtureJson(RATTLER, 'patch_instructions_4.json'));
    const expected = copy(input) as Required<PatchableRepodata>;
    expected.packages[PY310_BZ2]!.purls = ['pkg:pypi/cross-python@3.10.1'];
    expected['packages.conda'][PY310_CONDA]!.purls = ['pkg:pypi/cross-python@3.10.1'];
    assert.deepEqual(patched, expected);
  });

  test('patch_instructions_5.json: null deletes the key (track_features), nothing else changes', () => {
    const input = rattlerRepodata('repodata_from_packages_5.json');
    const patched = applyPatchInstructions(input, readFixtureJson(RATTLER, 'patch_instructions_5.json'));
    const name = 'pytorch-cpu-2.6.0-cpu_mkl_h8b52ce0_104.conda';
    const { track_features, ...rest } = input['packages.conda']![name]!;
    assert.equal(track_features, 'pytorch-cpu');
    assert.deepEqual(patched['packages.conda'][name], rest);
    assert.deepEqual(patched.packages, {});
    assert.deepEqual(patched.removed, []);
  });
});

/** conda-index tests/test_index.py `test_channel_patch_instructions_json`: the instructions its hotfix tests apply. */
const HOTFIX_INSTRUCTIONS = {
  patch_instructions_version: 1,
  packages: {
    'track_features_test-1.0-0.tar.bz2': { track_features: null },
    'hotfix_depends_test-1.0-dummy_0.tar.bz2': { depends: ['zlib', 'dummy'], features: null },
  },
  revoke: ['revoke_test-1.0-0.tar.bz2'],
  remove: ['remove_test-1.0-0.tar.bz2'],
};

describe('conda-index’s hotfix channel (index_hotfix_pkgs)', () => {
  test('its committed repodata.json is the unpatched repodata_from_packages.json', () => {
    // The channel carries no patch_instructions.json: conda-index's tests generate the patches
    // (gen_patch.py, a JSON file or a patch tarball), so the committed output is unpatched.
    assert.deepEqual(
      readFixtureJson(HOTFIX, 'repodata.json'),
      readFixtureJson(HOTFIX, 'repodata_from_packages.json'),
    );
  });

  test('indexing both formats and applying the tests’ instructions gives what conda-index asserts', async () => {
    const fromPackages = readFixtureJson(HOTFIX, 'repodata_from_packages.json') as PatchableRepodata;
    const condaRecords: RecordMap = {};
    for (const tarBz2 of Object.keys(fromPackages.packages!)) {
      const filename = tarBz2.replace(/\.tar\.bz2$/, '.conda');
      condaRecords[filename] = (
        await buildIndexRecord(filename, readFixture(HOTFIX, filename), 'osx-64')
      ).record;
    }
    const patched = applyPatchInstructions(
      { ...fromPackages, 'packages.conda': condaRecords },
      HOTFIX_INSTRUCTIONS,
    );

    for (const [key, ext] of [
      ['packages', '.tar.bz2'],
      ['packages.conda', '.conda'],
    ] as const) {
      const records = patched[key];
      assert.equal('track_features' in records[`track_features_test-1.0-0${ext}`]!, false);
      const hotfix = records[`hotfix_depends_test-1.0-dummy_0${ext}`]!;
      assert.equal('features' in hotfix, false);
      assert.deepEqual(hotfix.depends, ['zlib', 'dummy']);
      const revoked = records[`revoke_test-1.0-0${ext}`]!;
      assert.deepEqual([revoked.revoked, revoked.depends], [true, ['zlib', REVOKED_DEPENDENCY]]);
      assert.equal(records[`remove_test-1.0-0${ext}`], undefined);
    }
    assert.deepEqual(patched.removed, ['remove_test-1.0-0.conda', 'remove_test-1.0-0.tar.bz2']);
    // Everything else is the unpatched record.
    const { track_features: _dropped, ...trackFeatures } =
      fromPackages.packages!['track_features_test-1.0-0.tar.bz2']!;
    assert.deepEqual(patched.packages['track_features_test-1.0-0.tar.bz2'], trackFeatures);
    assert.equal(
      JSON.stringify(fromPackages.packages!['revoke_test-1.0-0.tar.bz2']!.depends),
      '["zlib"]',
      'revoking did not modify the input',
    );
  });
});

describe('merge rules (conda-index merge_or_update_dict, merge=False)', () => {
  const base = (): PatchableRepodata => ({
    info: { subdir: 'linux-64' },
    packages: {
      'a-1-0.tar.bz2': {
        name: 'a',
        depends: ['x', 'y'],
        run_exports: { weak: ['a'], strong: ['s'] },
        license: 'MIT',
      },
    },
    'packages.conda': {
      'a-1-0.conda': { name: 'a', depends: ['x', 'y'], license: 'MIT' },
      'b-1-0.conda': { name: 'b' },
    },
    removed: ['z-1-0.tar.bz2'],
    repodata_version: 1,
  });

  test('lists replace, objects merge, null deletes at any depth, missing keys are added', () => {
    const patched = applyPatchInstructions(base(), {
      packages: {
        'a-1-0.tar.bz2': {
          depends: ['q'],
          run_exports: { strong: null, weak_constrains: ['c'] },
          summary: 's',
        },
      },
    });
    assert.deepEqual(patched.packages['a-1-0.tar.bz2'], {
      name: 'a',
      depends: ['q'],
      run_exports: { weak: ['a'], weak_constrains: ['c'] },
      license: 'MIT',
      summary: 's',
    });
  });

  test('null for an absent key adds nothing (conda-index would write "key": null)', () => {
    const patched = applyPatchInstructions(base(), {
      'packages.conda': { 'b-1-0.conda': { features: null } },
    });
    assert.deepEqual(patched['packages.conda']['b-1-0.conda'], { name: 'b' });
  });

  test('a .conda patch wins over the twin’s .tar.bz2 patch where both set a key', () => {
    const patched = applyPatchInstructions(base(), {
      packages: { 'a-1-0.tar.bz2': { license: 'BSD', summary: 'from tar.bz2' } },
      'packages.conda': { 'a-1-0.conda': { license: 'Apache-2.0' } },
    });
    assert.deepEqual(
      [patched.packages['a-1-0.tar.bz2']!.license, patched['packages.conda']['a-1-0.conda']!.license],
      ['BSD', 'Apache-2.0'],
    );
    assert.equal(patched['packages.conda']['a-1-0.conda']!.summary, 'from tar.bz2');
  });

  test('patches for absent files are ignored; removed keeps its entries, sorted, without duplicates', () => {
    const patched = applyPatchInstructions(base(), {
      packages: { 'nothere-1-0.tar.bz2': { license: 'x' } },
      remove: ['a-1-0.tar.bz2', 'a-1-0.tar.bz2', 'nothere-1-0.conda'],
    });
    assert.deepEqual(Object.keys(patched.packages), []);
    assert.deepEqual(Object.keys(patched['packages.conda']), ['b-1-0.conda']);
    assert.deepEqual(patched.removed, ['a-1-0.conda', 'a-1-0.tar.bz2', 'z-1-0.tar.bz2']);
    assert.deepEqual(patched.info, { subdir: 'linux-64' });
    assert.equal(patched.repodata_version, 1);
  });

  test('revoking twice adds the revoked dependency once; a record without depends gets one', () => {
    const once = applyPatchInstructions(base(), { revoke: ['b-1-0.conda'] });
    const twice = applyPatchInstructions(once, { revoke: ['b-1-0.conda'] });
    assert.deepEqual(twice['packages.conda']['b-1-0.conda'], {
      name: 'b',
      revoked: true,
      depends: [REVOKED_DEPENDENCY],
    });
  });

  test('patched records share nothing with the patch', () => {
    const instructions = { packages: { 'a-1-0.tar.bz2': { depends: ['q'] } } };
    const patched = applyPatchInstructions(base(), instructions);
    (patched.packages['a-1-0.tar.bz2']!.depends as string[]).push('mutated');
    assert.deepEqual(instructions.packages['a-1-0.tar.bz2'].depends, ['q']);
    assert.deepEqual(patched['packages.conda']['a-1-0.conda']!.depends, ['q']);
  });

  test('"__proto__" keys from JSON stay plain keys', () => {
    const instructions = JSON.parse('{"packages": {"a-1-0.tar.bz2": {"__proto__": {"polluted": true}}}}');
    const patched = applyPatchInstructions(base(), instructions);
    const record = patched.packages['a-1-0.tar.bz2']!;
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(record, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('parsePatchInstructions', () => {
  test('accepts a real conda-forge patch file (read from the conda-forge-repodata-patches package)', async () => {
    const archive = readFixture('conda-index/tests/archives/conda-forge-repodata-patches-20180828-0.tar.bz2');
    const tar = new TarReader(decompressBzip2(chunkedSource(archive, 4096)), {
      maxEntries: 100,
      maxBytes: 10_000_000,
    });
    let body: Uint8Array | undefined;
    for (let entry = await tar.next(); entry !== null && body === undefined; entry = await tar.next()) {
      if (entry.path === 'linux-64/patch_instructions.json') body = await tar.readBody(1_000_000);
    }
    const instructions = parsePatchInstructions(JSON.parse(Buffer.from(body!).toString()));
    assert.equal(instructions.patch_instructions_version, 1);
    assert.equal(Object.keys(instructions.packages!).length, 1323);
    assert.equal(instructions.remove!.length, 45);
    assert.deepEqual(instructions.revoke, []);

    const repodata: PatchableRepodata = {
      packages: {
        'alps-2.3.0-np111py27_blas_openblas_0.tar.bz2': {
          name: 'alps',
          features: 'blas_openblas',
          depends: [],
        },
        'airflow-with-gcp_api-1.9.0-1.tar.bz2': { name: 'airflow-with-gcp_api', depends: [] },
      },
    };
    const patched = applyPatchInstructions(repodata, instructions);
    assert.deepEqual(patched.packages, {
      'alps-2.3.0-np111py27_blas_openblas_0.tar.bz2': { name: 'alps', depends: [] },
    });
    assert.deepEqual(patched.removed, ['airflow-with-gcp_api-1.9.0-1.tar.bz2']);
  });

  test('refuses newer versions and malformed documents', () => {
    const refused = (value: unknown, message: RegExp) =>
      assert.throws(() => parsePatchInstructions(value), { code: CondaErrorCode.InvalidRecord, message });
    refused(
      { patch_instructions_version: 2 },
      /"patch_instructions_version" must be at most 1 \(supported\), got 2/,
    );
    refused({ patch_instructions_version: '1' }, /must be a non-negative integer/);
    refused([], /"\(document\)" must be an object/);
    refused({ packages: [] }, /"packages" must be an object of filename → record patch/);
    refused(
      { 'packages.conda': { 'a.conda': 'x' } },
      /"packages.conda.a.conda" must be an object \(a record patch\)/,
    );
    refused({ remove: 'a.tar.bz2' }, /"remove" must be a list of filenames/);
    refused({ revoke: [1] }, /"revoke" must be a list of filenames/);
    assert.deepEqual(parsePatchInstructions({}), {});
    assert.throws(() => applyPatchInstructions({}, { remove: [null] }), {
      code: CondaErrorCode.InvalidRecord,
    });
  });
});
