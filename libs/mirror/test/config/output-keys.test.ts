import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig, renderSyncConfig, resolveSyncConfig } from '../../src/config/index.ts';
import { syncConfigJsonSchema } from '../../src/config/schema.ts';
import { configProblems, problemAt } from './config-test-helpers.ts';

describe('output keys: shards, current_repodata and repodata_bz2', () => {
  test('shards is on, current_repodata and repodata_bz2 off by default; null means the default', () => {
    const config = resolveSyncConfig({});
    assert.equal(config.shards, true);
    assert.equal(config.current_repodata, false);
    assert.equal(config.repodata_bz2, false);
    const nulls = resolveSyncConfig({ shards: null, current_repodata: null, repodata_bz2: null });
    assert.equal(nulls.shards, true);
    assert.equal(nulls.current_repodata, false);
    assert.equal(nulls.repodata_bz2, false);
    assert.equal(syncConfigJsonSchema.properties.repodata_bz2.default, false);
  });

  test('all can be flipped, from YAML too, and survive --show-config', () => {
    const config = parseSyncConfig('shards: false\ncurrent_repodata: true\nrepodata_bz2: true\n');
    assert.equal(config.shards, false);
    assert.equal(config.current_repodata, true);
    assert.equal(config.repodata_bz2, true);
    const rendered = renderSyncConfig(config);
    assert.match(rendered, /^shards: false$/m);
    assert.match(rendered, /^current_repodata: true$/m);
    assert.match(rendered, /^repodata_bz2: true$/m);
    assert.deepEqual(parseSyncConfig(rendered), config);
    assert.equal(parseSyncConfig('repodata_bz2: false\n').repodata_bz2, false);
    assert.match(
      renderSyncConfig(resolveSyncConfig({})),
      /^current_repodata: false\nrepodata_bz2: false\n$/m,
    );
  });

  test('anything but a boolean is refused, naming the key and the value', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ shards: 'no', current_repodata: 1, repodata_bz2: 'yes' }),
    );
    assert.match(problemAt(problems, 'shards'), /^expected a boolean \(true or false\), got the string 'no'/);
    assert.match(
      problemAt(problems, 'current_repodata'),
      /^expected a boolean \(true or false\), got the number 1/,
    );
    assert.match(
      problemAt(problems, 'repodata_bz2'),
      /^expected a boolean \(true or false\), got the string 'yes'/,
    );
  });

  test('a misspelt key is refused with a suggestion, not ignored', () => {
    const problems = configProblems(() => resolveSyncConfig({ shard: false, repodata_bzip2: true }));
    assert.match(problemAt(problems, 'shard'), /shards/);
    assert.match(problemAt(problems, 'repodata_bzip2'), /repodata_bz2/);
  });
});
