import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig, resolveSyncConfig } from '../../src/config/index.ts';
import { MirrorError } from '../../src/errors.ts';
import { configProblems, problemAt, readConfigFixture } from './config-test-helpers.ts';

describe('parseSyncConfig: the cas-sync guide examples', () => {
  test('export.yaml: default channels, two platforms, python 2.7 and 3.6, a pkg_list', () => {
    const config = parseSyncConfig(readConfigFixture('cas-sync-export.yaml'), { sourceName: 'export.yaml' });
    assert.equal(config.mirror_dir, '/opt/mirror/export/');
    assert.deepEqual(config.platforms, ['linux-64', 'noarch', 'win-64']);
    assert.deepEqual(config.python_versions, ['2.7', '3.6']);
    assert.equal(config.fetch_installers, false);
    assert.equal(config.pkg_list?.length, 17);
    assert.deepEqual(config.pkg_list?.slice(0, 3), ['ca-certificates', 'certifi', 'libedit']);
    assert.deepEqual(config.channels, [
      'https://repo.anaconda.com/pkgs/main',
      'https://repo.anaconda.com/pkgs/free',
      'https://repo.anaconda.com/pkgs/pro',
    ]);
  });

  test('import.yaml: a file:// upstream into dest_channel anaconda of site mysite', () => {
    const config = parseSyncConfig(readConfigFixture('cas-sync-import.yaml'));
    assert.deepEqual(config.channels, ['file:///opt/mirror/export/pkgs']);
    assert.equal(config.dest_site, 'mysite');
    assert.equal(config.dest_channel, 'anaconda');
    assert.deepEqual(config.python_versions, ['2.7', '3.6']);
  });

  test('the R channel and the Wakari token channel', () => {
    assert.deepEqual(parseSyncConfig(readConfigFixture('r-channel-online.yaml')).channels, [
      'https://conda.anaconda.org/r',
    ]);
    assert.deepEqual(parseSyncConfig(readConfigFixture('wakari-token.yaml')).channels, [
      'https://conda.anaconda.org/t/ab-0123456789abcdef/anaconda-nb-extensions',
      'https://conda.anaconda.org/wakari',
    ]);
  });
});

describe('parseSyncConfig: condasync examples', () => {
  test('conda-forge noarch with pkg_list [six]', () => {
    const config = parseSyncConfig(readConfigFixture('conda-forge-noarch-six.yaml'));
    assert.deepEqual(config.channels, ['https://conda.anaconda.org/conda-forge']);
    assert.deepEqual(config.platforms, ['noarch']);
    assert.deepEqual(config.pkg_list, ['six']);
    assert.equal(config.dest_channel, 'conda-forge');
    assert.equal(config.mirror_dir, '/srv/mirror');
  });

  test('a filtered pkgs/main mirror with unquoted versions and filter objects', () => {
    const config = parseSyncConfig(readConfigFixture('filtered-defaults.yaml'));
    assert.deepEqual(config.channels, ['https://repo.anaconda.com/pkgs/main']);
    assert.deepEqual(config.python_versions, ['3.9', '3.10', '3.11', '3.12']);
    assert.deepEqual(config.license_blacklist, ['AGPL', 'GPL3', 'Public-Domain']);
    assert.deepEqual(config.blacklist, [
      'cuda*',
      { name: 'tensorflow', version: '<2.10' },
      { name: 'numpy', version: '1.20', build: 'py39*' },
      'openssl 1.1.*',
    ]);
    assert.deepEqual(config.whitelist, ['tensorflow-estimator']);
    assert.equal(config.log_level, 'warn');
    assert.equal(config.zstd_level, 19);
  });

  test('JSON is YAML: sync.json parses, and 3.10 written as a JSON number stays 3.10', () => {
    const config = parseSyncConfig(readConfigFixture('sync.json'));
    assert.deepEqual(config.channels, ['https://conda.anaconda.org/conda-forge']);
    assert.deepEqual(config.python_versions, ['3.10', '3.11']);
    assert.equal(config.include_dependencies, true);
    assert.equal(config.log_level, 'debug');
    assert.equal(config.repodata_source, 'repodata.json');
  });

  test('many-problems.yaml reports every problem at once with its path', () => {
    const problems = configProblems(() =>
      parseSyncConfig(readConfigFixture('many-problems.yaml'), { sourceName: 'many-problems.yaml' }),
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      [
        'blacklst',
        'channels[0]',
        'channels[1]',
        'channels[2]',
        'platforms[0]',
        'dest_channel',
        'fetch_installers',
        'pkg_list',
        'license_blacklist[0]',
        'blacklist[2].name',
        'blacklist[3]',
        'log_level',
        'concurrency',
        'zstd_level',
        'delta_dir',
      ],
    );
    const text = JSON.stringify(problems);
    assert.ok(!text.includes('secret'), 'a password in a URL is never echoed');
    assert.ok(!text.includes('not_a_token'), 'a token is never echoed');
  });
});

describe('parseSyncConfig: YAML details', () => {
  test('an empty file, a comment-only file and a bare --- all mean defaults', () => {
    const defaults = resolveSyncConfig({});
    assert.deepEqual(parseSyncConfig(''), defaults);
    assert.deepEqual(parseSyncConfig('# nothing to see\n\n'), defaults);
    assert.deepEqual(parseSyncConfig('---\n'), defaults);
  });

  test('python_versions: unquoted 3.10 stays 3.10, and 3.1 stays 3.1', () => {
    assert.deepEqual(parseSyncConfig('python_versions: [3.10, 3.1, 3, "3.11", 2.7]').python_versions, [
      '2.7',
      '3',
      '3.1',
      '3.10',
      '3.11',
    ]);
    assert.deepEqual(parseSyncConfig('python_versions:\n  - 3.10\n  - 3.9\n').python_versions, [
      '3.9',
      '3.10',
    ]);
  });

  test('a filter object version written as a bare number keeps its text', () => {
    const config = parseSyncConfig(
      'blacklist:\n  - {name: numpy, version: 1.20}\n  - {name: six, version: 1}\n',
    );
    assert.deepEqual(config.blacklist, [
      { name: 'numpy', version: '1.20' },
      { name: 'six', version: '1' },
    ]);
  });

  test('floats elsewhere are numbers', () => {
    const config = parseSyncConfig(
      'concurrency: 16.0\ndownload_timeout_seconds: 1.5e2\ngrace_period_hours: 0.5\n',
    );
    assert.equal(config.concurrency, 16);
    assert.equal(config.download_timeout_seconds, 150);
    assert.equal(config.grace_period_hours, 0.5);
    const problems = configProblems(() =>
      parseSyncConfig('download_timeout_seconds: .nan\nzstd_level: .inf\n'),
    );
    assert.match(problemAt(problems, 'download_timeout_seconds'), /^expected a number, got the number NaN$/);
    assert.match(problemAt(problems, 'zstd_level'), /^expected an integer, got the number Infinity/);
  });

  test('YAML 1.2 core schema: dates stay text, yes/no are text, True/False are booleans', () => {
    assert.equal(parseSyncConfig('dest_site: 2024-01-01').dest_site, '2024-01-01');
    assert.equal(parseSyncConfig('current_repodata: True').current_repodata, true);
    assert.equal(parseSyncConfig('shards: False').shards, false);
    const problems = configProblems(() => parseSyncConfig('verify_checksum: on'));
    assert.match(problemAt(problems, 'verify_checksum'), /got the string 'on'.*write true or false/);
  });

  test('syntax errors name the line and column and keep the parser error as cause', () => {
    try {
      parseSyncConfig('channels:\n  - a\n - b\n', { sourceName: 'bad.yaml' });
      assert.fail('expected a rejection');
    } catch (error) {
      assert.ok(error instanceof MirrorError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(
        error.message,
        /^invalid sync config \(bad\.yaml\): YAML syntax error at line 3, column \d+: /,
      );
      assert.equal(error.details.length, 1);
      assert.equal(error.details[0]?.path, '');
      assert.ok(error.cause instanceof Error);
    }
  });

  test('duplicate keys are an error, not a silent override', () => {
    const problems = configProblems(() => parseSyncConfig('dest_channel: a\ndest_channel: b\n'));
    assert.match(problemAt(problems, ''), /line 2, column 1: duplicated mapping key/);
  });

  test('several documents are refused', () => {
    const problems = configProblems(() => parseSyncConfig('dest_channel: a\n---\ndest_channel: b\n'));
    assert.equal(problemAt(problems, ''), 'expected one YAML document, found 2 (separated by ---)');
  });

  test('alias-heavy documents are refused before anything walks them', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 20; level++) {
      lines.push(
        `l${level}: &l${level} [${new Array(10).fill(level === 1 ? '*a' : `*l${level - 1}`).join(', ')}]`,
      );
    }
    const problems = configProblems(() => parseSyncConfig(lines.join('\n')));
    assert.match(problemAt(problems, ''), /aliases exceeded maxAliases/);
  });

  test('a __proto__ key is reported as unknown, not merged into the prototype', () => {
    const problems = configProblems(() => parseSyncConfig('__proto__: {concurrency: 1}\n'));
    assert.match(problemAt(problems, '__proto__'), /^unknown key '__proto__'/);
  });
});
