import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSyncConfig } from '../../src/config/index.ts';
import { configProblems, problemAt } from '../config/config-test-helpers.ts';

describe('fetch_installers and dir_names in the sync config', () => {
  test('accepted with an http(s) remote_url; dir_names keeps its order without duplicates', () => {
    const config = resolveSyncConfig({
      remote_url: 'https://repo.anaconda.com',
      fetch_installers: true,
      dir_names: ['miniconda', 'archive', 'miniconda'],
    });
    assert.equal(config.fetch_installers, true);
    assert.deepEqual(config.dir_names, ['miniconda', 'archive']);
    assert.equal(config.remote_url, 'https://repo.anaconda.com/');
  });

  test('dir_names must be path segments, each bad one named', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({
        fetch_installers: true,
        dir_names: ['archive', '../etc', 'a/b', '.condasync', ''],
      }),
    );
    for (const path of ['dir_names[1]', 'dir_names[2]', 'dir_names[3]', 'dir_names[4]'])
      assert.match(
        problemAt(problems, path),
        /letters, digits, '\.', '_' and '-', not starting with '\.'/,
        path,
      );
  });

  test('an empty dir_names, a file:// remote_url and a channel named downloads in shared storage are refused at once', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({
        fetch_installers: true,
        dir_names: [],
        remote_url: 'file:///srv/anaconda',
        channels: ['https://conda.anaconda.org/conda-forge'],
        dest_channel: 'downloads',
      }),
    );
    assert.match(problemAt(problems, 'dir_names'), /is empty while fetch_installers is true/);
    assert.match(
      problemAt(problems, 'remote_url'),
      /remote_url is a file: URL; use the folder's http\(s\) address/,
    );
    assert.match(
      problemAt(problems, 'dest_channel'),
      /'downloads' is where fetch_installers puts installers/,
    );
  });

  test('without fetch_installers none of that matters; a mirror_dir may hold a channel named downloads', () => {
    assert.equal(
      resolveSyncConfig({ dir_names: [], remote_url: 'file:///srv/anaconda', dest_channel: 'downloads' })
        .fetch_installers,
      false,
    );
    assert.equal(
      resolveSyncConfig({ fetch_installers: true, dest_channel: 'downloads', mirror_dir: '/srv/mirror' })
        .dest_channel,
      'downloads',
    );
  });
});
