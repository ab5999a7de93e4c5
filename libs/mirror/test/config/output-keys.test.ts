import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig, renderSyncConfig, resolveSyncConfig } from '../../src/config/index.ts';
import { configProblems, problemAt } from './config-test-helpers.ts';

describe('output keys: shards and current_repodata', () => {
  test('shards is on and current_repodata off by default; null means the default', () => {
    const config = resolveSyncConfig({});
    assert.equal(config.shards, true);
    assert.equal(config.current_repodata, false);
    const nulls = resolveSyncConfig({ shards: null, current_repodata: null });
    assert.equal(nulls.shards, true);
    assert.equal(nulls.current_repodata, false);
  });

  test('both can be flipped, from YAML too, and survive --show-config', () => {
    const config = parseSyncConfig('shards: false\ncurrent_repodata: true\n');
    assert.equal(config.shards, false);
    assert.equal(config.current_repodata, true);
    const rendered = renderSyncConfig(config);
    assert.match(rendered, /^shards: false$/m);
    assert.match(rendered, /^current_repodata: true$/m);
    assert.deepEqual(parseSyncConfig(rendered), config);
  });

  test('anything but a boolean is refused, naming the key and the value', () => {
    const problems = configProblems(() => resolveSyncConfig({ shards: 'no', current_repodata: 1 }));
    assert.match(problemAt(problems, 'shards'), /^expected a boolean \(true or false\), got the string 'no'/);
    assert.match(
      problemAt(problems, 'current_repodata'),
      /^expected a boolean \(true or false\), got the number 1/,
    );
  });

  test('a misspelt key is refused with a suggestion, not ignored', () => {
    const problems = configProblems(() => resolveSyncConfig({ shard: false }));
    assert.match(problemAt(problems, 'shard'), /shards/);
  });
});
