import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSyncConfig } from '../../src/config/index.ts';

describe('resolveSyncConfig defaults', () => {
  const config = resolveSyncConfig({});

  test('every key has its documented default', () => {
    assert.deepEqual(
      { ...config },
      {
        channels: [
          'https://repo.anaconda.com/pkgs/main',
          'https://repo.anaconda.com/pkgs/free',
          'https://repo.anaconda.com/pkgs/pro',
        ],
        remote_url: 'https://repo.anaconda.com/',
        platforms: ['linux-64', 'linux-aarch64', 'linux-ppc64le', 'noarch', 'osx-64', 'osx-arm64', 'win-64'],
        dest_channel: 'anaconda',
        dest_site: null,
        mirror_dir: null,
        pkg_list: null,
        include_dependencies: false,
        environments: [],
        python_versions: null,
        license_blacklist: [],
        blacklist: [],
        whitelist: [],
        verify_checksum: false,
        delta: false,
        delta_dir: null,
        fetch_installers: false,
        dir_names: ['archive'],
        repodata_source: 'repodata.json',
        log_level: 'info',
        log_dir: null,
        server_port: null,
        server_log_dir: null,
        concurrency: 16,
        retries: 4,
        download_timeout_seconds: 900,
        min_bytes_per_second: 4096,
        zstd_level: 3,
        grace_period_hours: 24,
        shards: true,
        current_repodata: false,
        repodata_bz2: false,
      },
    );
  });

  test('undefined, null and explicit nulls all mean defaults', () => {
    assert.deepEqual(resolveSyncConfig(undefined), config);
    assert.deepEqual(resolveSyncConfig(null), config);
    assert.deepEqual(
      resolveSyncConfig({ platforms: null, concurrency: null, repodata_source: null }),
      config,
    );
  });

  test('the result and its lists are frozen', () => {
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.channels));
    assert.ok(Object.isFrozen(config.platforms));
    assert.throws(() => (config.platforms as string[]).push('win-32'), TypeError);
  });

  test('the default channels follow remote_url', () => {
    const custom = resolveSyncConfig({ remote_url: 'https://mirror.example.com/anaconda' });
    assert.equal(custom.remote_url, 'https://mirror.example.com/anaconda/');
    assert.deepEqual(custom.channels, [
      'https://mirror.example.com/anaconda/pkgs/main',
      'https://mirror.example.com/anaconda/pkgs/free',
      'https://mirror.example.com/anaconda/pkgs/pro',
    ]);
  });
});

describe('resolveSyncConfig normalisation', () => {
  test('channel names resolve like conda while remote_url is implicit, against remote_url once set', () => {
    assert.deepEqual(
      resolveSyncConfig({ channels: ['conda-forge', 'pkgs/main', 'bioconda/label/dev'] }).channels,
      [
        'https://conda.anaconda.org/conda-forge',
        'https://repo.anaconda.com/pkgs/main',
        'https://conda.anaconda.org/bioconda/label/dev',
      ],
    );
    const withRemote = resolveSyncConfig({
      remote_url: 'http://mirror.lan:8080/',
      channels: ['conda-forge', 'pkgs/r'],
    });
    assert.deepEqual(withRemote.channels, [
      'http://mirror.lan:8080/conda-forge',
      'http://mirror.lan:8080/pkgs/r',
    ]);
  });

  test('channel URLs lose trailing slashes and keep their order (the first channel wins collisions)', () => {
    const config = resolveSyncConfig({
      channels: [
        'https://conda.anaconda.org/zeta/',
        'file:///opt/mirror/export/pkgs/',
        'https://conda.anaconda.org/alpha',
      ],
    });
    assert.deepEqual(config.channels, [
      'https://conda.anaconda.org/zeta',
      'file:///opt/mirror/export/pkgs',
      'https://conda.anaconda.org/alpha',
    ]);
  });

  test('platforms are sorted, unique and always include noarch', () => {
    assert.deepEqual(resolveSyncConfig({ platforms: ['win-64', 'linux-64', 'win-64'] }).platforms, [
      'linux-64',
      'noarch',
      'win-64',
    ]);
    assert.deepEqual(resolveSyncConfig({ platforms: [] }).platforms, ['noarch']);
  });

  test('license families are case-insensitive and come out canonical, in family order', () => {
    const config = resolveSyncConfig({
      license_blacklist: ['public_domain', 'gpl3', 'apache', 'AGPL', 'GPL3'],
    });
    assert.deepEqual(config.license_blacklist, ['AGPL', 'GPL3', 'Apache', 'Public-Domain']);
  });

  test('log levels accept Python names in any case and Python numbers', () => {
    const level = (value: unknown) => resolveSyncConfig({ log_level: value }).log_level;
    assert.equal(level('CRITICAL'), 'fatal');
    assert.equal(level('error'), 'error');
    assert.equal(level('Warning'), 'warn');
    assert.equal(level('INFO'), 'info');
    assert.equal(level('debug'), 'debug');
    assert.equal(level('trace'), 'trace');
    assert.equal(level(50), 'fatal');
    assert.equal(level(40), 'error');
    assert.equal(level(30), 'warn');
    assert.equal(level(20), 'info');
    assert.equal(level(10), 'debug');
  });

  test('repodata_source false (what cas-sync printed) means repodata.json', () => {
    assert.equal(resolveSyncConfig({ repodata_source: false }).repodata_source, 'repodata.json');
    assert.equal(
      resolveSyncConfig({ repodata_source: 'repodata_from_packages.json' }).repodata_source,
      'repodata_from_packages.json',
    );
  });

  test('empty pkg_list and python_versions mean "no filter", as in cas-sync', () => {
    const config = resolveSyncConfig({ pkg_list: [], python_versions: [] });
    assert.equal(config.pkg_list, null);
    assert.equal(config.python_versions, null);
  });

  test('pkg_list is sorted and unique', () => {
    assert.deepEqual(resolveSyncConfig({ pkg_list: ['zlib', 'six', 'zlib'] }).pkg_list, ['six', 'zlib']);
  });

  test('python versions: integers and strings accepted, sorted numerically', () => {
    assert.deepEqual(
      resolveSyncConfig({ python_versions: ['3.10', 3, '2.7', '3.9', '3.10'] }).python_versions,
      ['2.7', '3', '3.9', '3.10'],
    );
  });

  test('filter entries: strings trimmed, objects keep only the keys given, numbers become text', () => {
    const config = resolveSyncConfig({
      blacklist: [' numpy >=1.20,<2 ', { name: 'scipy' }, { name: 'openssl', version: 3, build: 0 }],
      whitelist: ['py*', 'conda-forge::six'],
    });
    assert.deepEqual(config.blacklist, [
      'numpy >=1.20,<2',
      { name: 'scipy' },
      { name: 'openssl', version: '3', build: '0' },
    ]);
    assert.deepEqual(config.whitelist, ['py*', 'conda-forge::six']);
    assert.equal(Object.hasOwn(config.blacklist[1] as object, 'version'), false);
  });

  test('numeric additions take any value inside their range', () => {
    const config = resolveSyncConfig({
      concurrency: 256,
      retries: 0,
      download_timeout_seconds: 30.5,
      min_bytes_per_second: 0,
      zstd_level: 22,
      grace_period_hours: 0,
    });
    assert.deepEqual(
      [
        config.concurrency,
        config.retries,
        config.download_timeout_seconds,
        config.min_bytes_per_second,
        config.zstd_level,
        config.grace_period_hours,
      ],
      [256, 0, 30.5, 0, 22, 0],
    );
  });

  test('keys not supported yet are accepted at their default, which asks for nothing', () => {
    const config = resolveSyncConfig({
      delta: false,
      delta_dir: null,
      fetch_installers: false,
      dir_names: ['archive'],
      log_dir: null,
      server_port: null,
      server_log_dir: null,
    });
    assert.equal(config.delta, false);
    assert.deepEqual(config.dir_names, ['archive']);
  });
});
