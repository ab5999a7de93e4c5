import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CondaError } from '../../src/errors.ts';
import {
  compileFilter,
  type FilterableRecord,
  type FilterResult,
  filterPackages,
} from '../../src/filter/index.ts';
import { FIXTURES, loadRecords, subdirs } from './repodata-fixtures.ts';

const pytorch = loadRecords(FIXTURES.pytorchLinux64);
const dummy = loadRecords(FIXTURES.dummyLinux64);
const rLinux = loadRecords(FIXTURES.rLinux64);
const mainNoarch = loadRecords(FIXTURES.mainNoarch);
const testRecipes = loadRecords(FIXTURES.testRecipesNoarch);

const pytorchChannel = () => subdirs({ 'linux-64': pytorch, noarch: new Map() });
const dummyChannel = () => subdirs({ 'linux-64': dummy, noarch: new Map() });

function selectedIn(result: FilterResult, subdir: string): string[] {
  return [...(result.selected.get(subdir) ?? [])].sort();
}

function filenamesWhere(records: Map<string, FilterableRecord>, keep: (record: FilterableRecord) => boolean) {
  return [...records]
    .filter(([, record]) => keep(record))
    .map(([filename]) => filename)
    .sort();
}

describe('compileFilter().select without rules', () => {
  it('selects every record of every subdir and excludes nothing', () => {
    const result = filterPackages(subdirs({ 'linux-64': pytorch, noarch: mainNoarch }), {});
    assert.equal(result.selected.get('linux-64')?.size, 2181);
    assert.equal(result.selected.get('noarch')?.size, 322);
    assert.deepEqual(result.excluded, { license: 0, python: 0, blacklist: 0, 'not-in-pkg-list': 0 });
    assert.deepEqual(result.unresolved, []);
  });
});

describe('license_blacklist', () => {
  it('drops records by license_family and, when it is missing, by the license string', () => {
    // pytorch/linux-64: 152 records have license_family MIT, 8 more have no family and license 'MIT'.
    const result = filterPackages(pytorchChannel(), { licenseBlacklist: ['mit'] });
    assert.equal(result.excluded.license, 160);
    const selected = result.selected.get('linux-64');
    assert.equal(selected?.has('faiss-cpu-1.5.2-py27h6bb024c_1.tar.bz2'), false); // family MIT
    assert.equal(selected?.has('torchtriton-2.0.0-py310.tar.bz2'), false); // license MIT, no family
    assert.equal(selected?.has('cuda100-1.0-0.tar.bz2'), true); // no license information at all
    assert.equal(selected?.size, 2181 - 160);
  });

  it('counts license strings like BSD 3-Clause and 3-clause BSD as BSD', () => {
    // 399 family BSD + 1457 license 'BSD' + 1 'IJG, modified 3-clause BSD and zlib'.
    assert.equal(filterPackages(pytorchChannel(), { licenseBlacklist: ['BSD'] }).excluded.license, 1857);
  });

  it('applies GPL3 to GPL-3 strings and bare GPL, but not to GPL (>= 2) or LGPL', () => {
    const result = filterPackages(subdirs({ 'linux-64': rLinux }), { licenseBlacklist: ['GPL3'] });
    const selected = result.selected.get('linux-64');
    assert.equal(selected?.has('r-assertthat-0.1-r3.2.0_1.tar.bz2'), false); // license 'GPL-3'
    assert.equal(selected?.has('r-assertthat-0.1-r3.2.0_1a.tar.bz2'), false); // family GPL3
    assert.equal(selected?.has('r-3.1.2-0.tar.bz2'), false); // license 'GPL', no family
    assert.equal(selected?.has('rstudio-1.1.456-h6bb024c_0.tar.bz2'), false); // family 'GPL'
    assert.equal(selected?.has('r-aer-1.2_4-r3.2.0_0.tar.bz2'), false); // 'GPL-2 | GPL-3'
    assert.equal(selected?.has('r-ape-3.3-r3.2.0_0.tar.bz2'), true); // 'GPL (>= 2)'
    assert.equal(selected?.has('r-dbi-0.3.1-r3.2.1_2.tar.bz2'), true); // 'LGPL (>= 2)'
    assert.equal(selected?.has('r-crayon-1.3.4-r350h912f1d8_0.tar.bz2'), true); // MIT
    assert.equal(result.excluded.license + (selected?.size ?? 0), rLinux.size);
  });

  it('uses license_family alone when present, even if the license string names another family', () => {
    // rstudio's license is 'Commercial or AGPLv3' but its license_family is 'GPL'.
    const agpl = filterPackages(subdirs({ 'linux-64': rLinux }), { licenseBlacklist: ['AGPL'] });
    assert.equal(agpl.selected.get('linux-64')?.has('rstudio-1.1.456-h6bb024c_0.tar.bz2'), true);
    const gpl2 = filterPackages(subdirs({ 'linux-64': rLinux }), { licenseBlacklist: ['GPL2'] });
    assert.equal(gpl2.selected.get('linux-64')?.has('rstudio-1.1.456-h6bb024c_0.tar.bz2'), false);
  });
});

describe('blacklist', () => {
  it('accepts names, globs, MatchSpecs and conda-mirror objects', () => {
    const magma = filenamesWhere(pytorch, (r) => r.name.startsWith('magma-cuda'));
    const pytorch2 = filenamesWhere(
      pytorch,
      (r) => r.name === 'pytorch' && Number(r.version.split('.')[0]) >= 2,
    );
    assert.ok(magma.length > 20 && pytorch2.length > 10);
    const result = filterPackages(pytorchChannel(), {
      blacklist: [
        'magma-cuda*',
        'pytorch >=2',
        { name: 'torchvision', version: '0.15.2', build: 'py310*' },
        'ffmpeg',
      ],
    });
    const selected = result.selected.get('linux-64');
    for (const filename of [...magma, ...pytorch2]) assert.equal(selected?.has(filename), false, filename);
    assert.equal(selected?.has('pytorch-1.13.1-py3.10_cpu_0.tar.bz2'), true);
    assert.equal(selected?.has('torchvision-0.15.2-py310_cu117.tar.bz2'), false);
    assert.equal(selected?.has('torchvision-0.15.2-py311_cpu.tar.bz2'), true);
    assert.equal(selected?.has('ffmpeg-4.3-hf484d3e_0.tar.bz2'), false);
    assert.equal(result.excluded.blacklist, magma.length + pytorch2.length + 3 + 3);
  });

  it('is undone by a whitelist entry for what it removed', () => {
    // dummy/linux-64 has seven bors files: 1.0, 1.1 (.tar.bz2 and .conda), 1.2.1, 2.0, 2.1 (both formats).
    const result = filterPackages(dummyChannel(), { blacklist: ['bors'], whitelist: ['bors >=2'] });
    const bors = selectedIn(result, 'linux-64').filter((filename) => filename.startsWith('bors-'));
    assert.deepEqual(bors, ['bors-2.0-bla_1.tar.bz2', 'bors-2.1-bla_1.conda', 'bors-2.1-bla_1.tar.bz2']);
    assert.equal(result.excluded.blacklist, 4);
  });
});

describe('whitelist', () => {
  it('adds back records the license_blacklist removed', () => {
    const result = filterPackages(dummyChannel(), {
      licenseBlacklist: ['MIT'],
      whitelist: [{ name: 'foo' }],
    });
    assert.deepEqual(selectedIn(result, 'linux-64'), [
      'conda-only-0.1.0-foobar_0.conda', // no license
      'cuda-version-12.5-hd4f0392_3.conda', // LicenseRef-NVIDIA-…: Other
      'foo-3.0.2-py36h1af98f8_1.conda',
      'foo-3.0.2-py36h1af98f8_1.tar.bz2',
      'foo-3.0.2-py36h1af98f8_2.conda',
      'foo-3.0.2-py36h1af98f8_3.conda',
      'foo-4.0.2-py36h1af98f8_2.tar.bz2',
    ]);
    assert.equal(result.excluded.license, dummy.size - 7);
  });

  it('adds back records python_versions removed', () => {
    const result = filterPackages(pytorchChannel(), {
      pythonVersions: ['3.10'],
      whitelist: ['torchvision 0.15.2 py311_cpu'],
    });
    const selected = result.selected.get('linux-64');
    assert.equal(selected?.has('torchvision-0.15.2-py311_cpu.tar.bz2'), true);
    assert.equal(selected?.has('torchvision-0.15.2-py311_cu117.tar.bz2'), false);
    assert.equal(result.excluded.python, 1931 - 1);
  });

  it('changes nothing on its own', () => {
    const result = filterPackages(pytorchChannel(), { whitelist: ['pytorch', 'nothing-by-this-name'] });
    assert.equal(result.selected.get('linux-64')?.size, pytorch.size);
    assert.deepEqual(result.excluded, { license: 0, python: 0, blacklist: 0, 'not-in-pkg-list': 0 });
  });
});

describe('python_versions', () => {
  it('keeps builds for the listed versions plus python-agnostic records', () => {
    // pytorch/linux-64: 121 records have no python pin, 129 pin 3.10 and 27 pin 3.11.
    const result = filterPackages(pytorchChannel(), { pythonVersions: ['3.10', '3.11'] });
    assert.equal(result.selected.get('linux-64')?.size, 277);
    assert.equal(result.excluded.python, 2181 - 277);
    const selected = result.selected.get('linux-64');
    assert.equal(selected?.has('pytorch-2.0.1-py3.10_cpu_0.tar.bz2'), true); // python >=3.10,<3.11.0a0
    assert.equal(selected?.has('pytorch-2.0.1-py3.9_cpu_0.tar.bz2'), false);
    assert.equal(selected?.has('cuda100-1.0-0.tar.bz2'), true); // no python dependency
    assert.equal(
      filterPackages(pytorchChannel(), { pythonVersions: ['2.7'] }).selected.get('linux-64')?.size,
      121 + 205,
    );
  });

  it('keeps every noarch record, even those depending on python', () => {
    const result = filterPackages(subdirs({ noarch: mainNoarch }), { pythonVersions: ['3.12'] });
    assert.equal(result.selected.get('noarch')?.size, 322);
    assert.equal(result.excluded.python, 0);
  });
});

describe('pkg_list', () => {
  it('selects only matching records and counts the rest as not-in-pkg-list', () => {
    const result = filterPackages(pytorchChannel(), { pkgList: ['torchvision 0.15.2'] });
    const expected = filenamesWhere(pytorch, (r) => r.name === 'torchvision' && r.version === '0.15.2');
    assert.equal(expected.length, 12);
    assert.deepEqual(selectedIn(result, 'linux-64'), expected);
    assert.equal(result.excluded['not-in-pkg-list'], 2181 - 12);
    assert.deepEqual(result.unresolved, []);
  });

  it('accepts globs', () => {
    const result = filterPackages(pytorchChannel(), { pkgList: ['torchvision*'] });
    const expected = filenamesWhere(pytorch, (r) => r.name === 'torchvision' || r.name === 'torchvision-cpu');
    assert.deepEqual(selectedIn(result, 'linux-64'), expected);
  });
});

describe('include_dependencies', () => {
  it('adds exactly the records matching the dependency specs, recursively', () => {
    // foobar 2.1 depends on 'bors <2.0'; xbar depends on 'xfoo >=2'; bors and xfoo have no dependencies.
    const result = filterPackages(dummyChannel(), {
      pkgList: ['foobar 2.1', 'xbar'],
      includeDependencies: true,
    });
    assert.deepEqual(selectedIn(result, 'linux-64'), [
      'bors-1.0-bla_1.tar.bz2',
      'bors-1.1-bla_1.conda',
      'bors-1.1-bla_1.tar.bz2',
      'bors-1.2.1-bla_1.tar.bz2',
      'foobar-2.1-bla_1.tar.bz2',
      'xbar-1-xxx.tar.bz2',
      'xfoo-2-xxx.tar.bz2',
    ]);
    assert.deepEqual(result.unresolved, []);
    assert.equal(result.excluded['not-in-pkg-list'], dummy.size - 7);
  });

  it('pulls a real closure within python_versions and leaves unrelated packages out', () => {
    const result = filterPackages(pytorchChannel(), {
      pkgList: ['torchvision 0.15.2 py310_cpu'],
      includeDependencies: true,
      pythonVersions: ['3.10'],
    });
    const selected = result.selected.get('linux-64');
    const present = [
      'torchvision-0.15.2-py310_cpu.tar.bz2',
      // pytorch 2.0.1: every py3.10 build matches the dependency 'pytorch 2.0.1'.
      'pytorch-2.0.1-py3.10_cpu_0.tar.bz2',
      'pytorch-2.0.1-py3.10_cuda11.7_cudnn8.5.0_0.tar.bz2',
      'pytorch-2.0.1-py3.10_cuda11.8_cudnn8.7.0_0.tar.bz2',
      // 'ffmpeg >=4.2': all three builds.
      'ffmpeg-4.2-hf484d3e_0.tar.bz2',
      'ffmpeg-4.2-hf484d3e_1.tar.bz2',
      'ffmpeg-4.3-hf484d3e_0.tar.bz2',
      // Second level: the cuda builds need 'pytorch-cuda >=11.7,<11.8' and 'torchtriton 2.0.0'.
      'pytorch-cuda-11.7-h778d358_3.tar.bz2',
      'pytorch-cuda-11.8-h7e8668a_5.tar.bz2',
      'torchtriton-2.0.0-py310.tar.bz2',
      // Third level: torchtriton depends on 'pytorch' (any version), so older py3.10 pytorch builds come too.
      'pytorch-1.13.1-py3.10_cpu_0.tar.bz2',
    ];
    for (const filename of present) assert.equal(selected?.has(filename), true, `${filename} selected`);
    const absent = [
      'pytorch-2.0.1-py3.11_cpu_0.tar.bz2', // python 3.11
      'torchtriton-2.0.0-py38.tar.bz2', // python 3.8
      'torchvision-0.15.2-py310_cu117.tar.bz2', // eligible, but nothing depends on it
      'pytorch-1.10.0-py3.9_cpu_0.tar.bz2',
    ];
    for (const filename of absent) assert.equal(selected?.has(filename), false, `${filename} not selected`);
    for (const filename of selected ?? []) {
      assert.match(
        filename,
        /^(torchvision-0\.15\.2-py310_cpu\.tar\.bz2$|(pytorch|ffmpeg|torchtriton)-)/,
        filename,
      );
    }
    assert.equal(selected?.size, 39);
    assert.equal(result.excluded.python, 1931);
    assert.equal(result.excluded['not-in-pkg-list'], 121 + 129 - 39);
    // Dependencies the pytorch channel does not carry are reported per selected record.
    const unresolved = new Set(result.unresolved.map((u) => `${u.filename} ${u.spec}`));
    assert.ok(unresolved.has('torchvision-0.15.2-py310_cpu.tar.bz2 jpeg'));
    assert.ok(unresolved.has('torchvision-0.15.2-py310_cpu.tar.bz2 python >=3.10,<3.11.0a0'));
    assert.ok(unresolved.has('pytorch-2.0.1-py3.10_cpu_0.tar.bz2 pytorch-mutex 1.0 cpu'));
    assert.ok(!unresolved.has('torchvision-0.15.2-py310_cpu.tar.bz2 pytorch 2.0.1'));
  });

  it('resolves a platform record against noarch', () => {
    // r/linux-64 rstudio depends on fonts-anaconda, which lives in main/noarch and needs four fonts.
    const result = filterPackages(subdirs({ 'linux-64': rLinux, noarch: mainNoarch }), {
      pkgList: ['rstudio 1.1.456 h6bb024c_0'],
      includeDependencies: true,
    });
    assert.deepEqual(selectedIn(result, 'linux-64'), ['rstudio-1.1.456-h6bb024c_0.tar.bz2']);
    assert.deepEqual(selectedIn(result, 'noarch'), [
      'font-ttf-dejavu-sans-mono-2.37-h6964260_0.tar.bz2',
      'font-ttf-inconsolata-2.001-hcb22688_0.tar.bz2',
      'font-ttf-source-code-pro-2.030-h7457263_0.tar.bz2',
      'font-ttf-ubuntu-0.83-h8b1ccd4_0.tar.bz2',
      'fonts-anaconda-1-h8fa9717_0.tar.bz2',
    ]);
    assert.deepEqual(
      result.unresolved.map((u) => u.spec),
      [
        'freetype >=2.9.1',
        'libgcc-ng >=7.2.0',
        'libstdcxx-ng >=7.2.0',
        'libuuid',
        'pandoc >=1.15.0',
        'qt 5.6.*',
        'zlib >=1.2',
      ],
    );
    assert.ok(
      result.unresolved.every(
        (u) => u.subdir === 'linux-64' && u.filename === 'rstudio-1.1.456-h6bb024c_0.tar.bz2',
      ),
    );
  });

  it('resolves a noarch record against every platform subdir, and a platform only against itself and noarch', () => {
    // Real test-recipes records, rearranged: the two `dependency` builds move into osx-64, so noarch
    // `dependent` must find them there. foobar in linux-64 cannot see bors placed in win-64.
    const noarch = new Map([...testRecipes].filter(([, r]) => r.name !== 'dependency'));
    const osx = new Map([...testRecipes].filter(([, r]) => r.name === 'dependency'));
    const linux = new Map([...dummy].filter(([, r]) => r.name === 'foobar'));
    const win = new Map([...dummy].filter(([, r]) => r.name === 'bors'));
    const result = filterPackages(subdirs({ noarch, 'osx-64': osx, 'linux-64': linux, 'win-64': win }), {
      pkgList: ['dependent 1.0', 'foobar 2.1'],
      includeDependencies: true,
    });
    assert.deepEqual(selectedIn(result, 'osx-64'), ['dependency-1.0-0.conda']);
    assert.deepEqual(selectedIn(result, 'noarch'), ['dependent-1.0-0.conda']);
    assert.deepEqual(selectedIn(result, 'win-64'), []);
    assert.deepEqual(result.unresolved, [
      { subdir: 'linux-64', filename: 'foobar-2.1-bla_1.tar.bz2', spec: 'bors <2.0' },
    ]);
  });

  it('reports unsatisfiable dependencies and ignores virtual packages', () => {
    const recipes = filterPackages(subdirs({ noarch: testRecipes }), {
      pkgList: ['unsatisfiable', 'buildstring'],
      includeDependencies: true,
    });
    assert.deepEqual(selectedIn(recipes, 'noarch'), [
      'buildstring-1.0-versioned_1.conda', // 'versioned 1.*'
      'buildstring-1.0-versioned_2.conda', // 'versioned 2.*'
      'unsatisfiable-1.0-0.conda',
      'versioned-1.0-0.conda',
      'versioned-2.0-0.conda',
    ]);
    assert.deepEqual(recipes.unresolved, [
      { subdir: 'noarch', filename: 'unsatisfiable-1.0-0.conda', spec: 'versioned <1.0' },
    ]);
    // bar depends only on the virtual package __unix.
    const virtual = filterPackages(dummyChannel(), { pkgList: ['bar'], includeDependencies: true });
    assert.deepEqual(selectedIn(virtual, 'linux-64'), ['bar-1.0-unix_py36h1af98f8_2.tar.bz2']);
    assert.deepEqual(virtual.unresolved, []);
  });

  it('does not satisfy a dependency with a record a rule removed', () => {
    const result = filterPackages(dummyChannel(), {
      blacklist: ['bors <2'],
      includeDependencies: true,
    });
    assert.equal(result.selected.get('linux-64')?.has('bors-1.0-bla_1.tar.bz2'), false);
    assert.deepEqual(
      result.unresolved.map((u) => `${u.filename}: ${u.spec}`),
      [
        'foobar-2.0-bla_1.conda: bors <2.0',
        'foobar-2.0-bla_1.tar.bz2: bors <2.0',
        'foobar-2.1-bla_1.tar.bz2: bors <2.0',
      ],
    );
  });

  it('without pkg_list keeps everything eligible and only reports unresolved dependencies', () => {
    const result = filterPackages(subdirs({ noarch: testRecipes }), { includeDependencies: true });
    assert.equal(result.selected.get('noarch')?.size, testRecipes.size);
    assert.deepEqual(result.unresolved, [
      { subdir: 'noarch', filename: 'unsatisfiable-1.0-0.conda', spec: 'versioned <1.0' },
    ]);
  });
});

describe('PackageFilter', () => {
  it('can be reused across selections with identical results', () => {
    const filter = compileFilter({ pkgList: ['foobar'], includeDependencies: true });
    const first = filter.select(dummyChannel());
    const second = filter.select(dummyChannel());
    assert.deepEqual(selectedIn(second, 'linux-64'), selectedIn(first, 'linux-64'));
    assert.equal(first.selected.get('linux-64')?.size, 7); // 3 foobar files + 4 bors files below 2.0
  });

  it('names the file when a record has an unparseable version', () => {
    const broken = new Map([
      ['bad-1 0-0.tar.bz2', { name: 'bad', version: '1 0', build: '0', build_number: 0 }],
    ]);
    assert.throws(
      () => filterPackages(subdirs({ 'linux-64': broken }), { blacklist: ['bad >=1'] }),
      (error: unknown) =>
        error instanceof CondaError &&
        error.code === 'INVALID_VERSION' &&
        error.message.startsWith('linux-64/bad-1 0-0.tar.bz2: ') &&
        error.message.includes("'1 0'"),
    );
  });
});
