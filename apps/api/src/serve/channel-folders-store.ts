import {
  FsObjectStore,
  type GetOptions,
  type GetResult,
  type ObjectInfo,
  type ObjectStore,
} from '@condasync/storage';

const GENERATIONS = '.condasync/generations/';

/**
 * A read-only store over channel folders, each holding one channel at its root (a sync's
 * `mirror_dir`), seen as `<name>/<key>` the way the API's storage holds channels. Only reads are
 * used by channel serving; a write means a caller mistook this for a real store, so it throws.
 */
export class ChannelFoldersStore implements ObjectStore {
  readonly description: string;
  readonly #channels: ReadonlyMap<string, FsObjectStore>;

  constructor(folders: ReadonlyMap<string, string>) {
    this.#channels = new Map([...folders].map(([name, root]) => [name, new FsObjectStore({ root })]));
    this.description = [...folders].map(([name, root]) => `${name}=file://${root}`).join(', ');
  }

  /** The channel's own store and the key inside it, or null for a channel not served. */
  #locate(key: string): { store: FsObjectStore; inner: string } | null {
    // A mirror_dir keeps its metadata generations (docs/design.md §4) at its own root.
    if (key.startsWith(GENERATIONS)) {
      const found = this.#locate(key.slice(GENERATIONS.length));
      return found === null ? null : { store: found.store, inner: `${GENERATIONS}${found.inner}` };
    }
    const slash = key.indexOf('/');
    if (slash <= 0) return null;
    const store = this.#channels.get(key.slice(0, slash));
    return store === undefined ? null : { store, inner: key.slice(slash + 1) };
  }

  async get(key: string, options?: GetOptions): Promise<GetResult | null> {
    const found = this.#locate(key);
    return found === null ? null : found.store.get(found.inner, options);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const found = this.#locate(key);
    return found === null ? null : found.store.head(found.inner);
  }

  // biome-ignore lint/correctness/useYield: nothing to list; serving never lists.
  async *list(): AsyncGenerator<ObjectInfo> {
    throw readOnly('list');
  }

  async put(): Promise<ObjectInfo> {
    throw readOnly('put');
  }

  async putConditional(): Promise<ObjectInfo> {
    throw readOnly('putConditional');
  }

  async copy(): Promise<boolean> {
    throw readOnly('copy');
  }

  async delete(): Promise<void> {
    throw readOnly('delete');
  }

  async flush(): Promise<void> {
    // Read-only: nothing written here waits for a barrier.
  }

  async close(): Promise<void> {
    await Promise.all([...this.#channels.values()].map((store) => store.close()));
  }
}

function readOnly(operation: string): Error {
  return new Error(`${operation} on the served channel folders: channel serving only reads`);
}
