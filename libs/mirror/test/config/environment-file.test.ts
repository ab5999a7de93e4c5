import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandEnvironmentFiles, parseEnvironmentFile, resolveSyncConfig } from '../../src/config/index.ts';
import { MirrorError } from '../../src/errors.ts';

describe('environment files', () => {
  test('an environment.yml gives its conda dependencies as specs; pip entries are not conda packages', () => {
    const content = parseEnvironmentFile(
      'name: app\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n  - numpy >=1.26\n  - pip\n  - pip:\n      - requests\n',
      'env.yml',
    );
    assert.deepEqual(content, { specs: ['python=3.12', 'numpy >=1.26', 'pip'], explicit: [] });
  });

  test('an explicit lockfile gives exact subdir/filename entries', () => {
    const content = parseEnvironmentFile(
      '# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda#abc\nhttps://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda\n',
      'lock.txt',
    );
    assert.deepEqual(content, {
      specs: [],
      explicit: ['linux-64/zlib-1.3.1-hb9d3cd8_2.conda', 'noarch/tzdata-2024b-hc8b5060_0.conda'],
    });
  });

  test('bad files name the file and the problem', () => {
    assert.throws(
      () => parseEnvironmentFile('@EXPLICIT\nhttps://x/not-a-package.txt\n', 'lock.txt'),
      /lock\.txt: line 2: expected a package URL/,
    );
    assert.throws(
      () => parseEnvironmentFile('name: x\n', 'env.yml'),
      /env\.yml: an environment\.yml needs a `dependencies:` list/,
    );
    assert.throws(
      () => parseEnvironmentFile('dependencies:\n  - "bad spec ]["\n', 'env.yml'),
      /env\.yml: dependencies\[0\]/,
    );
  });

  test('expandEnvironmentFiles fills file environments and reports unreadable files', async () => {
    const config = resolveSyncConfig({
      platforms: ['linux-64'],
      environments: [{ name: 'a', file: 'env.yml' }, { specs: ['zlib'] }],
    });
    const expanded = await expandEnvironmentFiles(config, async () => 'dependencies: [python]\n');
    assert.deepEqual(
      expanded.environments.map((e) => [e.name, e.specs, e.file]),
      [
        ['a', ['python'], 'env.yml'],
        ['environment-2', ['zlib'], null],
      ],
    );
    await assert.rejects(
      expandEnvironmentFiles(config, async () => {
        throw new Error('ENOENT');
      }),
      (error: unknown) =>
        error instanceof MirrorError &&
        /environment file env\.yml: cannot read it: ENOENT/.test(error.message),
    );
  });
});
