import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSyncConfig } from '../../src/config/index.ts';
import { configProblems, problemAt } from './config-test-helpers.ts';

describe('resolveSyncConfig rejections name the key path', () => {
  test('unknown keys, with a suggestion when one is close', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ blacklst: [], dest_chanel: 'x', frobnicate: 1 }),
    );
    assert.equal(problemAt(problems, 'blacklst'), "unknown key 'blacklst' (did you mean 'blacklist'?)");
    assert.equal(
      problemAt(problems, 'dest_chanel'),
      "unknown key 'dest_chanel' (did you mean 'dest_channel'?)",
    );
    assert.match(problemAt(problems, 'frobnicate'), /^unknown key 'frobnicate'; see docs\/configuration\.md/);
  });

  test('unknown keys inside a filter object', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ whitelist: ['a', { name: 'b', verison: '1' }] }),
    );
    assert.equal(
      problemAt(problems, 'whitelist[1].verison'),
      "unknown key 'verison' (did you mean 'version'?)",
    );
  });

  test('environment settings are not config keys', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ redis_url: 'redis://x', storage_url: 'file:///x' }),
    );
    assert.match(problemAt(problems, 'redis_url'), /CONDASYNC_REDIS_URL/);
    assert.match(problemAt(problems, 'storage_url'), /CONDASYNC_STORAGE_URL/);
  });

  test('wrong types name the expected type and the value given', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({
        platforms: 'linux-64',
        delta: 'no',
        concurrency: '16',
        python_versions: [true],
        blacklist: [5],
      }),
    );
    assert.match(problemAt(problems, 'platforms'), /^expected a list, got the string 'linux-64'/);
    assert.match(
      problemAt(problems, 'delta'),
      /^expected a boolean \(true or false\), got the string 'no'.*write true or false/,
    );
    assert.equal(problemAt(problems, 'concurrency'), "expected an integer, got the string '16'");
    assert.equal(
      problemAt(problems, 'python_versions[0]'),
      'expected a string or a number, got the boolean true',
    );
    assert.equal(problemAt(problems, 'blacklist[0]'), 'expected a string or a mapping, got the number 5');
  });

  test('a config that is not a mapping', () => {
    const problems = configProblems(() => resolveSyncConfig(['channels']));
    assert.equal(problemAt(problems, ''), `expected a mapping, got a list ["channels"]`);
  });

  test('unknown platforms, with a suggestion', () => {
    const problems = configProblems(() => resolveSyncConfig({ platforms: ['linux-64', 'osx_arm64'] }));
    assert.match(
      problemAt(problems, 'platforms[1]'),
      /got the string 'osx_arm64' \(did you mean 'osx-arm64'\?\)$/,
    );
  });

  test('pkg_list cannot be combined with blacklist, whitelist or license_blacklist', () => {
    for (const key of ['blacklist', 'whitelist', 'license_blacklist'] as const) {
      const problems = configProblems(() => resolveSyncConfig({ pkg_list: ['six'], [key]: ['MIT'] }));
      assert.match(problemAt(problems, 'pkg_list'), new RegExp(`^cannot be combined with ${key}:`));
    }
    // Empty lists are the cas-sync defaults and do not conflict.
    assert.deepEqual(
      resolveSyncConfig({ pkg_list: ['six'], blacklist: [], whitelist: [], license_blacklist: [] }).pkg_list,
      ['six'],
    );
  });

  test('delta without delta_dir is refused, asking for the folder', () => {
    const problems = configProblems(() => resolveSyncConfig({ delta: true }));
    assert.match(problemAt(problems, 'delta_dir'), /is required when delta is true/);
    assert.equal(problems.length, 1);
  });

  test('python_versions: bad text, and floats whose text is already lost', () => {
    const problems = configProblems(() => resolveSyncConfig({ python_versions: ['3.x', 3.1, 'py310'] }));
    assert.equal(
      problemAt(problems, 'python_versions[0]'),
      "expected a Python version such as '3.10' or '2.7', got the string '3.x'",
    );
    assert.match(
      problemAt(problems, 'python_versions[1]'),
      /^got the number 3\.1: numbers lose trailing zeros.*"3\.10"/,
    );
    assert.match(problemAt(problems, 'python_versions[2]'), /got the string 'py310'/);
  });

  test('filter objects: name required, version a version spec, build a glob', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({
        blacklist: [
          { version: '1.0' },
          { name: 'numpy', version: '1.0#beta' },
          { name: 'numpy', build: 'py 310' },
          { name: 'numpy', version: 1.2 },
          { name: 'bad/name' },
        ],
      }),
    );
    assert.equal(problemAt(problems, 'blacklist[0].name'), 'is required here but missing');
    assert.match(
      problemAt(problems, 'blacklist[1].version'),
      /^expected a version spec .*got the string '1.0#beta'/,
    );
    assert.match(
      problemAt(problems, 'blacklist[2].build'),
      /^expected a build string or glob .*got the string 'py 310'/,
    );
    assert.match(problemAt(problems, 'blacklist[3].version'), /numbers lose trailing zeros/);
    assert.match(problemAt(problems, 'blacklist[4].name'), /^expected a package name or glob/);
  });

  test('filter strings are parsed as MatchSpecs', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ whitelist: ['>=1.0', 'numpy[version=">=1"', 'ok-name', 'bad/name 1.0', '  '] }),
    );
    assert.match(problemAt(problems, 'whitelist[0]'), /'>=1\.0': no package name before the version/);
    assert.match(problemAt(problems, 'whitelist[1]'), /section must close with "\]"/);
    assert.match(problemAt(problems, 'whitelist[3]'), /package name 'bad\/name' may contain only/);
    assert.equal(problemAt(problems, 'whitelist[4]'), 'must not be blank');
    assert.equal(problems.length, 4);
  });

  test('pkg_list takes names, globs and MatchSpecs, and rejects what does not parse', () => {
    assert.deepEqual(resolveSyncConfig({ pkg_list: ['six', 'lib*', 'numpy >=1.26'] }).pkg_list, [
      'lib*',
      'numpy >=1.26',
      'six',
    ]);
    const problems = configProblems(() => resolveSyncConfig({ pkg_list: ['six', 'bad name ]['] }));
    assert.match(problemAt(problems, 'pkg_list[1]'), /invalid MatchSpec 'bad name \]\['/);
    assert.equal(problems.length, 1);
  });

  test('license families outside the closed set', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ license_blacklist: ['MIT', 'Apach', 'WTFPL'] }),
    );
    assert.match(
      problemAt(problems, 'license_blacklist[1]'),
      /got the string 'Apach' \(did you mean 'Apache'\?\)$/,
    );
    assert.match(
      problemAt(problems, 'license_blacklist[2]'),
      /^expected a license family \(AGPL, GPL2, .*'WTFPL'$/,
    );
  });

  test('log levels outside the known names and numbers', () => {
    const problems = configProblems(() => resolveSyncConfig({ log_level: 25 }));
    assert.match(problemAt(problems, 'log_level'), /got the number 25$/);
  });

  test('ranges of numeric keys', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({
        concurrency: 257,
        retries: -1,
        download_timeout_seconds: 0,
        min_bytes_per_second: 1.5,
        zstd_level: 0,
        grace_period_hours: -2,
        server_port: 70000,
      }),
    );
    assert.equal(problemAt(problems, 'concurrency'), 'expected an integer from 1 to 256, got the number 257');
    assert.equal(problemAt(problems, 'retries'), 'expected an integer from 0 to 100, got the number -1');
    assert.equal(
      problemAt(problems, 'download_timeout_seconds'),
      'expected a number from 1 to 604800, got the number 0',
    );
    assert.equal(
      problemAt(problems, 'min_bytes_per_second'),
      'expected an integer, got the number 1.5 (a whole number)',
    );
    assert.equal(problemAt(problems, 'zstd_level'), 'expected an integer from 1 to 22, got the number 0');
    assert.equal(
      problemAt(problems, 'grace_period_hours'),
      'expected a number from 0 to 8760, got the number -2',
    );
    assert.equal(
      problemAt(problems, 'server_port'),
      'expected an integer from 1 to 65535, got the number 70000',
    );
  });

  test('dest_channel and dir_names must be safe path segments', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ dest_channel: '.condasync', dir_names: ['archive', '../etc', 'a/b'] }),
    );
    assert.match(
      problemAt(problems, 'dest_channel'),
      /not starting with '\.', got the string '\.condasync'$/,
    );
    assert.match(problemAt(problems, 'dir_names[1]'), /got the string '\.\.\/etc'$/);
    assert.match(problemAt(problems, 'dir_names[2]'), /got the string 'a\/b'$/);
  });

  test('blank and empty strings', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ mirror_dir: '', log_dir: '   ', channels: [] }),
    );
    assert.equal(problemAt(problems, 'mirror_dir'), 'must not be empty');
    assert.equal(problemAt(problems, 'log_dir'), 'must not be blank');
    assert.match(problemAt(problems, 'channels'), /^must list at least one entry/);
  });

  test('duplicate channels', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ channels: ['conda-forge', 'https://conda.anaconda.org/conda-forge/'] }),
    );
    assert.match(problemAt(problems, 'channels[1]'), /listed twice \(same channel as channels\[0\]\)$/);
  });

  test('every problem is reported at once, in the order of the keys', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({
        zstd_level: 99,
        blacklst: [],
        channels: ['ftp://x/y'],
        pkg_list: ['six'],
        whitelist: ['a'],
        delta: true,
      }),
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ['zstd_level', 'blacklst', 'channels[0]', 'pkg_list', 'delta_dir'],
    );
  });

  test('the error message lists every problem with its path', () => {
    try {
      resolveSyncConfig({ concurrency: 0, blacklst: [] }, { sourceName: 'api body' });
      assert.fail('expected a rejection');
    } catch (error) {
      assert.equal(
        (error as Error).message,
        'invalid sync config (api body): 2 problems\n' +
          '  - concurrency: expected an integer from 1 to 256, got the number 0\n' +
          "  - blacklst: unknown key 'blacklst' (did you mean 'blacklist'?)",
      );
    }
  });
});
