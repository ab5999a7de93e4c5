import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../../logger.ts';

/** Where saved previous versions live while a subdir's metadata is being published. */
export const UNDO_PREFIX = '.condasync/undo/';

interface Saved {
  key: string;
  /** The copy of the previous object, or null when the key had none (rollback deletes it). */
  copy: string | null;
}

/**
 * A "metadata transaction" around a subdir's publish sequence (DESIGN invariant 3: a failed sync
 * leaves the published metadata untouched). `store` is the store to publish through: before its
 * first write or delete of a guarded key it copies the key's current object (store-side: S3
 * CopyObject, a hard link on disk, so 300 MB of repodata never travels through the worker) to
 * `.condasync/undo/<subdir>/<run>/`. Unchanged files cost nothing: they are never written.
 * `rollback` puts every saved object back (last written first) and removes the keys that had none;
 * `commit` drops the copies. Both are best-effort: a store that is down gets a log line, and the
 * next sync rewrites everything anyway (repodata.json itself is written last, so it is replaced
 * only when every other file already was).
 */
export class MetadataTransaction {
  readonly store: ObjectStore;
  readonly #inner: ObjectStore;
  readonly #guarded: (key: string) => boolean;
  readonly #logger: Logger;
  readonly #folder: string;
  readonly #saving = new Map<string, Promise<void>>();
  #copies = 0;
  /** In the order the keys were first written. */
  readonly #saved: Saved[] = [];

  constructor(options: {
    store: ObjectStore;
    name: string;
    guarded: (key: string) => boolean;
    logger: Logger;
  }) {
    this.#inner = options.store;
    this.#guarded = options.guarded;
    this.#logger = options.logger;
    this.#folder = `${UNDO_PREFIX}${options.name}/${randomUUID()}/`;
    const inner = options.store;
    const save = (key: string): Promise<void> => this.#save(key);
    this.store = {
      description: inner.description,
      put: async (key, body, putOptions) => {
        await save(key);
        return inner.put(key, body, putOptions);
      },
      putConditional: async (key, body, putOptions) => {
        await save(key);
        return inner.putConditional(key, body, putOptions);
      },
      copy: async (fromKey, toKey) => {
        await save(toKey);
        return inner.copy(fromKey, toKey);
      },
      delete: async (key) => {
        await save(key);
        return inner.delete(key);
      },
      get: (key, getOptions) => inner.get(key, getOptions),
      head: (key) => inner.head(key),
      list: (prefix, listOptions) => inner.list(prefix, listOptions),
      flush: () => inner.flush(),
      close: () => inner.close(),
    };
  }

  /** Keys this transaction would put back on rollback, in the order they were first written. */
  get savedKeys(): string[] {
    return this.#saved.map((saved) => saved.key);
  }

  #save(key: string): Promise<void> {
    if (!this.#guarded(key)) return Promise.resolve();
    let saving = this.#saving.get(key);
    if (saving === undefined) {
      const copy = `${this.#folder}${this.#copies++}-${key.slice(key.lastIndexOf('/') + 1)}`;
      saving = this.#inner.copy(key, copy).then((existed) => {
        this.#saved.push({ key, copy: existed ? copy : null });
      });
      // A failed save is retried by the next write of the key (the write itself did not happen).
      saving.catch(() => this.#saving.delete(key));
      this.#saving.set(key, saving);
    }
    return saving;
  }

  /** The publish sequence succeeded: the saved copies are no longer needed. */
  async commit(): Promise<void> {
    await this.#dropCopies(this.#saved);
    this.#saved.length = 0;
  }

  /** Puts every saved key back as it was, newest write first. Never throws. */
  async rollback(): Promise<void> {
    await Promise.allSettled(this.#saving.values());
    const restored: Saved[] = [];
    const failed: string[] = [];
    for (const saved of [...this.#saved].reverse()) {
      try {
        if (saved.copy === null) await this.#inner.delete(saved.key);
        else if (
          !(await this.#unchanged(saved.key, saved.copy)) &&
          !(await this.#inner.copy(saved.copy, saved.key))
        )
          throw new Error(`the saved copy ${saved.copy} is gone`);
        restored.push(saved);
      } catch (error) {
        failed.push(saved.key);
        this.#logger.warn(
          { key: saved.key, copy: saved.copy, err: error },
          'could not restore a metadata file after a failed publish; the next sync rewrites it',
        );
      }
    }
    if (restored.length > 0)
      this.#logger.info(
        { restored: restored.map((saved) => saved.key) },
        'failed publish rolled back: previous metadata restored',
      );
    // A copy that could not be put back stays, for a human to restore by hand.
    await this.#dropCopies(restored);
    this.#saved.length = 0;
    if (failed.length > 0)
      this.#logger.warn(
        { keys: failed, folder: this.#folder },
        'metadata left as the failed publish wrote it',
      );
  }

  /** True when the key still holds the saved bytes (its write was the one that failed): nothing to restore. */
  async #unchanged(key: string, copy: string): Promise<boolean> {
    const [current, saved] = await Promise.all([this.#inner.head(key), this.#inner.head(copy)]);
    return current !== null && saved !== null && current.etag === saved.etag;
  }

  async #dropCopies(saved: readonly Saved[]): Promise<void> {
    for (const { copy } of saved) {
      if (copy === null) continue;
      await this.#inner.delete(copy).catch((error: unknown) => {
        this.#logger.warn({ key: copy, err: error }, 'could not remove a saved metadata copy');
      });
    }
  }
}
