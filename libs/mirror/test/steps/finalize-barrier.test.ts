import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore, type ObjectInfo, type PutBody, type PutOptions } from '@condasync/storage';
import { silentLogger } from '../../src/logger.ts';
import { finalizeSubdir } from '../../src/steps/finalize.ts';
import { scratch } from '../sync-helpers.ts';
import { testRecipesEntries } from './finalize-helpers.ts';

const METADATA = /(repodata_shards\.msgpack\.zst|\.json(\.zst|\.bz2)?)$/;

/**
 * The real filesystem store, logging puts and barriers in order, and checking at each metadata put
 * that every object put before it is already trusted on disk (its sidecar is in `meta/`, which the
 * store does only once the object is durable).
 */
class BarrierRecordingStore extends FsObjectStore {
  readonly log: string[] = [];
  readonly untrustedAtMetadataPut: string[] = [];
  readonly #root: string;
  readonly #objects: string[] = [];

  constructor(root: string) {
    super({ root });
    this.#root = root;
  }

  override async put(key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo> {
    if (METADATA.test(key) && !key.startsWith('.condasync/')) {
      for (const object of this.#objects) {
        if (!existsSync(join(this.#root, '.condasync/fs-store/meta', object)))
          this.untrustedAtMetadataPut.push(`${object} at ${key}`);
      }
    } else {
      this.#objects.push(key);
    }
    this.log.push(`put ${key}`);
    return super.put(key, body, options);
  }

  override async flush(): Promise<void> {
    this.log.push('flush');
    await super.flush();
  }
}

// docs/design.md §5, invariant 1: metadata is published only after the files it lists are durable.
describe('finalizeSubdir and the durability barrier', () => {
  test('puts every metadata file between two barriers, after every package and shard is durable', async () => {
    const { dir, cleanup } = await scratch('finalize-barrier');
    const store = new BarrierRecordingStore(join(dir, 'store'));
    try {
      // A package copied just before finalize, still waiting for a barrier.
      const bytes = Buffer.from('a package');
      await store.put('chan/noarch/package-1-0.conda', bytes, {
        size: bytes.byteLength,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      await finalizeSubdir(
        {
          subdir: 'noarch',
          info: { subdir: 'noarch' },
          removed: [],
          records: await testRecipesEntries(),
          zstdLevel: 3,
          shards: true,
          currentRepodata: true,
          repodataBz2: true,
          now: 0,
        },
        { store, channelPrefix: 'chan/', tempDir: join(dir, 'tmp'), logger: silentLogger },
      );

      assert.deepEqual(store.untrustedAtMetadataPut, []);
      const published = store.log
        .map((line, at) => ({ line, at }))
        .filter(({ line }) => line.startsWith('put chan/') && METADATA.test(line));
      assert.equal(published.length, 6, 'index, current_repodata ×2, bz2, zst, repodata.json');
      for (const { line, at } of published) {
        assert.equal(store.log[at - 1], 'flush', `a barrier before ${line}`);
        assert.equal(store.log[at + 1], 'flush', `a barrier after ${line}`);
      }
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
