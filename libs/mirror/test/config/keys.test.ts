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

describe('the key table', () => {
  test('marks no key as not supported yet (fetch_installers and dir_names, the last ones, now work)', () => {
    assert.deepEqual(
      SYNC_CONFIG_KEYS.filter((key) => keySpec(key).notYet !== undefined),
      [],
    );
  });

  test('fetch_installers and dir_names are accepted, with their defaults printed by --show-config', () => {
    const config = parseSyncConfig('fetch_installers: true\ndir_names: [miniconda, archive, miniconda]\n');
    assert.equal(config.fetch_installers, true);
    assert.deepEqual(config.dir_names, ['miniconda', 'archive']);
    const rendered = renderSyncConfig(resolveSyncConfig({}));
    assert.match(rendered, /^fetch_installers: false$/m);
    assert.match(rendered, /^dir_names: \[archive\]$/m);
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
