import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig } from '../../src/config/index.ts';
import { MirrorError } from '../../src/errors.ts';
import { storedSyncConfig } from '../../src/steps/stored-config.ts';

/** What POST /v1/syncs stores: the resolved config, through JSON. */
const stored = (yaml: string): unknown => JSON.parse(JSON.stringify(parseSyncConfig(yaml)));

describe('storedSyncConfig: a config stored at submission, read back by a worker', () => {
  test('gives back the same config, environments included', () => {
    for (const yaml of [
      'channels: [https://repo.example.org/conda-forge]\nplatforms: [linux-64]\npython_versions: [3.10]\nblacklist: [{name: foo, version: ">=1"}]\n',
      'channels: [https://repo.example.org/conda-forge]\nplatforms: [linux-64, osx-arm64]\nenvironments:\n  - name: app\n    specs: [python 3.12.*, numpy]\n    platforms: [linux-64]\n',
    ]) {
      assert.deepEqual(storedSyncConfig(stored(yaml)), parseSyncConfig(yaml));
    }
  });

  test('refuses what is not a mapping, and a config the schema refuses, naming the key', () => {
    assert.throws(
      () => storedSyncConfig(['a']),
      (error: MirrorError) => /not a mapping/.test(error.message),
    );
    assert.throws(() => storedSyncConfig(null), MirrorError);
    assert.throws(
      () => storedSyncConfig({ zstd_level: 99 }),
      (error: MirrorError) => error.details.some((detail) => detail.path === 'zstd_level'),
    );
  });

  test('refuses exact files from a lockfile: only a local run can mirror them', () => {
    const config = stored('environments:\n  - specs: [python]\n') as {
      environments: Array<Record<string, unknown>>;
    };
    config.environments[0]!['explicit'] = ['noarch/a-1.0-0.conda'];
    assert.throws(() => storedSyncConfig(config), /environments\[0\] lists exact files/);
  });
});
