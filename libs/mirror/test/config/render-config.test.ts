import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { load } from 'js-yaml';
import { parseSyncConfig, renderSyncConfig, SYNC_CONFIG_KEYS } from '../../src/config/index.ts';
import { configProblems, problemAt, readConfigFixture } from './config-test-helpers.ts';

const TOKEN = 'ab-0123456789abcdef';

describe('renderSyncConfig', () => {
  test("matches cas-sync's --show-config layout for the guide's dest_site example", () => {
    const config = parseSyncConfig(readConfigFixture('cas-sync-dest-site.yaml'));
    assert.equal(
      renderSyncConfig(config, { path: '/home/ec2-user/sync.yaml' }),
      readConfigFixture('cas-sync-dest-site.show-config.yaml'),
    );
  });

  test('prints path first, then every key exactly once', () => {
    const rendered = renderSyncConfig(parseSyncConfig(''), { path: '/etc/cas-mirror' });
    const keys = rendered
      .split('\n')
      .filter((line) => /^[a-z0-9_]+:/.test(line))
      .map((line) => line.slice(0, line.indexOf(':')));
    assert.equal(keys[0], 'path');
    assert.deepEqual([...keys.slice(1)].sort(), [...SYNC_CONFIG_KEYS].sort());
  });

  test('without a path there is no path line', () => {
    assert.match(renderSyncConfig(parseSyncConfig('')), /^remote_url: https:\/\/repo\.anaconda\.com\/\n/);
  });

  test('the output parses back into the same config', () => {
    for (const fixture of [
      'cas-sync-export.yaml',
      'cas-sync-import.yaml',
      'filtered-defaults.yaml',
      'sync.json',
      'wakari-token.yaml',
      'conda-forge-noarch-six.yaml',
    ]) {
      const config = parseSyncConfig(readConfigFixture(fixture));
      const rendered = renderSyncConfig(config, { revealTokens: true });
      assert.deepEqual(parseSyncConfig(rendered), config, fixture);
    }
  });

  test('python versions are quoted so 3.10 survives a round trip', () => {
    const rendered = renderSyncConfig(parseSyncConfig('python_versions: [3.10, 2.7]'));
    assert.match(rendered, /^python_versions: \['2\.7', '3\.10'\]$/m);
  });

  test('filter objects print inline, one entry per line', () => {
    const rendered = renderSyncConfig(parseSyncConfig(readConfigFixture('filtered-defaults.yaml')));
    assert.match(
      rendered,
      /^blacklist:\n {2}- cuda\*\n {2}- \{name: tensorflow, version: <2\.10\}\n {2}- \{name: numpy, version: '1\.20', build: py39\*\}\n/m,
    );
  });

  test('tokens are redacted unless revealTokens is set', () => {
    const config = parseSyncConfig(
      `remote_url: https://conda.anaconda.org/t/${TOKEN}/\nchannels: [private, https://conda.anaconda.org/conda/t/${TOKEN}/other]\n`,
    );
    const redacted = renderSyncConfig(config);
    assert.ok(!redacted.includes(TOKEN), redacted);
    const parsed = load(redacted) as { remote_url: string; channels: string[] };
    assert.equal(parsed.remote_url, 'https://conda.anaconda.org/t/<redacted>/');
    assert.deepEqual(parsed.channels, [
      'https://conda.anaconda.org/t/<redacted>/private',
      'https://conda.anaconda.org/conda/t/<redacted>/other',
    ]);
    const revealed = renderSyncConfig(config, { revealTokens: true });
    assert.ok(revealed.includes(`https://conda.anaconda.org/t/${TOKEN}/private`));
  });

  test('a redacted rendering cannot be used as a config by accident', () => {
    const config = parseSyncConfig(readConfigFixture('wakari-token.yaml'));
    const problems = configProblems(() => parseSyncConfig(renderSyncConfig(config)));
    assert.match(problemAt(problems, 'channels[0]'), /has a token that is not letters, digits and '-' only$/);
  });
});
