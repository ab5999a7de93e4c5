import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { withKeyReference } from '../../src/config/config-docs.ts';
import {
  resolveSyncConfig,
  SYNC_CONFIG_DEFAULTS,
  SYNC_CONFIG_KEYS,
  syncConfigJsonSchema,
} from '../../src/config/index.ts';
import { toKeyPath } from '../../src/config/schema-problems.ts';
import { closestMatch } from '../../src/config/suggest.ts';

const DOCS = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'configuration.md');

describe('syncConfigJsonSchema', () => {
  test('compiles under Ajv strict mode (the API reuses it)', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true, logger: false });
    const validate = ajv.compile(syncConfigJsonSchema);
    assert.equal(validate({ channels: ['conda-forge'], python_versions: ['3.10'] }), true);
    assert.equal(validate({ chanels: [] }), false);
  });

  test('describes exactly the keys of the resolved config', () => {
    assert.deepEqual([...SYNC_CONFIG_KEYS].sort(), Object.keys(resolveSyncConfig({})).sort());
  });

  test('its default annotations agree with the defaults applied', () => {
    const properties = syncConfigJsonSchema.properties as Record<string, { default?: unknown }>;
    for (const [key, value] of Object.entries(SYNC_CONFIG_DEFAULTS)) {
      assert.deepEqual(properties[key]?.default, value, key);
    }
  });
});

describe('docs/configuration.md', () => {
  const docs = readFileSync(DOCS, 'utf8');

  test('its key tables are the ones the key table generates (node scripts/write-config-docs.ts)', () => {
    assert.equal(
      withKeyReference(docs),
      docs,
      'run `node scripts/write-config-docs.ts` and commit the result',
    );
    for (const key of SYNC_CONFIG_KEYS) {
      assert.match(docs, new RegExp(`^\\| \`${key}\` +\\|`, 'm'), `no table row for ${key}`);
    }
  });

  test('a key table that changes makes the docs check fail', () => {
    const stale = docs.replace('Retries per download', 'Attempts per download');
    assert.notEqual(stale, docs);
    assert.notEqual(withKeyReference(stale), stale);
  });

  test('its --show-config example is what renderSyncConfig prints', async () => {
    const { parseSyncConfig, renderSyncConfig } = await import('../../src/config/index.ts');
    const rendered = renderSyncConfig(parseSyncConfig('dest_site: myrepo'), {
      path: '/home/ec2-user/sync.yaml',
    });
    assert.ok(docs.includes(`\`\`\`yaml\n${rendered}\`\`\``), 'the example in the docs is out of date');
  });
});

describe('key paths and suggestions', () => {
  test('JSON pointers become dotted paths with list indices', () => {
    assert.equal(toKeyPath(''), '');
    assert.equal(toKeyPath('/blacklist/2/version'), 'blacklist[2].version');
    assert.equal(toKeyPath('/blacklist/2', 'nam'), 'blacklist[2].nam');
    assert.equal(toKeyPath('', 'a~1b'), 'a/b');
  });

  test('closestMatch finds typos and transpositions, not unrelated words', () => {
    const keys = [...SYNC_CONFIG_KEYS];
    assert.equal(closestMatch('blacklst', keys), 'blacklist');
    assert.equal(closestMatch('pltaforms', keys), 'platforms');
    assert.equal(closestMatch('Dest-Channel', keys), 'dest_channel');
    assert.equal(closestMatch('python_version', keys), 'python_versions');
    assert.equal(closestMatch('foo', keys), null);
    assert.equal(closestMatch('storage', keys), null);
  });
});
