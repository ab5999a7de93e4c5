import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  keySpec,
  parseSyncConfig,
  renderSyncConfig,
  resolveSyncConfig,
  SYNC_CONFIG_DEFAULTS,
  SYNC_CONFIG_KEYS,
  syncConfigJsonSchema,
} from '../../src/config/index.ts';
import { configProblems, problemAt } from './config-test-helpers.ts';

/** A value for each key not supported yet that asks for something. */
const ASKING_VALUES: Readonly<Record<string, unknown>> = {
  fetch_installers: true,
  dir_names: ['miniconda'],
};

describe('the key table', () => {
  const notYet = SYNC_CONFIG_KEYS.filter((key) => keySpec(key).notYet !== undefined);

  test('marks exactly the keys condasync does not act on yet', () => {
    assert.deepEqual([...notYet].sort(), Object.keys(ASKING_VALUES).sort());
  });

  test('a key not supported yet is refused at any value but its default, naming the key', () => {
    for (const key of notYet) {
      const problems = configProblems(() => resolveSyncConfig({ [key]: ASKING_VALUES[key] }));
      assert.match(
        problemAt(problems, key),
        new RegExp(`^'${key}' is not supported yet: condasync cannot `),
        key,
      );
      assert.match(problemAt(problems, key), /remove it or set it to /, key);
    }
  });

  test('a YAML config setting them gets every one reported at once', () => {
    const problems = configProblems(() =>
      parseSyncConfig('fetch_installers: true\ndir_names: [miniconda]\n'),
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ['fetch_installers', 'dir_names'],
    );
  });

  test('--show-config of the defaults loads back, keys not supported yet included', () => {
    const rendered = renderSyncConfig(resolveSyncConfig({}));
    for (const key of notYet) assert.match(rendered, new RegExp(`^${key}: `, 'm'));
    assert.deepEqual(parseSyncConfig(rendered), resolveSyncConfig({}));
  });

  test('the defaults applied are the table defaults, and the schema annotates them', () => {
    const resolved = resolveSyncConfig({});
    for (const key of SYNC_CONFIG_KEYS) {
      assert.deepEqual(resolved[key], keySpec(key).default, key);
      const property = syncConfigJsonSchema.properties[key];
      if (keySpec(key).derivedDefault === undefined) {
        assert.deepEqual(property.default, keySpec(key).default, key);
        assert.deepEqual((SYNC_CONFIG_DEFAULTS as Record<string, unknown>)[key], keySpec(key).default, key);
      } else {
        assert.equal(Object.hasOwn(property, 'default'), false, key);
      }
      assert.equal(typeof property.description, 'string', key);
    }
  });

  test('the schema describes keys not supported yet as such', () => {
    for (const key of notYet) {
      assert.match(String(syncConfigJsonSchema.properties[key].description), /^Not supported yet\. /, key);
    }
  });

  test('--show-config prints the cas-sync keys first, in the table order, then the additions', () => {
    const keys = renderSyncConfig(resolveSyncConfig({}))
      .split('\n')
      .filter((line) => /^[a-z0-9_]+:/.test(line))
      .map((line) => line.slice(0, line.indexOf(':')));
    const casSync = SYNC_CONFIG_KEYS.filter((key) => keySpec(key).origin === 'cas-sync');
    const additions = SYNC_CONFIG_KEYS.filter((key) => keySpec(key).origin === 'condasync');
    assert.deepEqual(keys, [...casSync, ...additions]);
    assert.equal(casSync.at(-1), 'channels', "cas-sync's --show-config ends with channels");
  });
});
