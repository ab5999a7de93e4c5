// Watches a store (S3 or folder, read directly, never through a fault proxy) while a fault test
// runs, and records every moment the publication invariants of docs/design.md §5 do not hold:
//   1. every package a published repodata.json lists exists with the listed size and sha256;
//   2. no package key ever holds bytes that are not a known package's (partial or wrong bytes);
//   3. (asked per sync) published metadata did not change while a sync that failed was running.
// Each round reads the published repodata first and lists the store after: packages are written
// before metadata, so whatever a document lists must already be in the later listing.
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '@condasync/storage';

export interface InvariantPollerOptions {
  store: ObjectStore;
  intervalMs?: number;
  /**
   * sha256s a package key may hold, by `<subdir>/<filename>` (every upstream version the test
   * serves). Package keys outside this map are only checked against the published repodata.
   */
  knownPackages?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface MetadataChange {
  key: string;
  etag: string;
  /** When the poller first saw this version (ms since the epoch). */
  seenAt: number;
}

interface PackageRecord {
  size?: number;
  sha256?: string;
}

const REPODATA = /^(?!\.condasync\/)(.+)\/([^/]+)\/repodata\.json$/;
const PACKAGE = /^(?!\.condasync\/)(?:.+\/)?([^/]+)\/([^/]+\.(?:conda|tar\.bz2))$/;
const METADATA = /(?:repodata[^/]*\.json(?:\.zst|\.bz2)?|channeldata\.json|repodata_shards\.msgpack\.zst)$/;

export class InvariantPoller {
  readonly violations: string[] = [];
  rounds = 0;
  readonly #store: ObjectStore;
  readonly #intervalMs: number;
  readonly #known: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** sha256 of each object version already hashed, by `key etag`. */
  readonly #hashes = new Map<string, string>();
  readonly #metadataHistory = new Map<string, MetadataChange[]>();
  readonly #documents = new Map<string, Map<string, PackageRecord>>();
  #running: Promise<void> | undefined;
  #stopping = false;
  #lastError: unknown;

  constructor(options: InvariantPollerOptions) {
    this.#store = options.store;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#known = options.knownPackages;
  }

  start(): this {
    this.#stopping = false;
    this.#running = this.#loop();
    return this;
  }

  /** Stops after a last full round, so the final published state is checked too. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    await this.checkOnce();
  }

  /** Versions of the metadata under `channel/` first seen between `fromMs` and `toMs`. */
  metadataChanges(channel: string, fromMs: number, toMs = Date.now()): MetadataChange[] {
    const changes: MetadataChange[] = [];
    for (const [key, history] of this.#metadataHistory) {
      if (!key.startsWith(`${channel}/`)) continue;
      changes.push(...history.filter((change) => change.seenAt >= fromMs && change.seenAt <= toMs));
    }
    return changes;
  }

  /** One line for assertion messages: rounds done and the first violations. */
  summary(): string {
    return `${this.rounds} rounds, ${this.violations.length} violations${
      this.violations.length > 0 ? `:\n  ${this.violations.slice(0, 10).join('\n  ')}` : ''
    }${this.#lastError !== undefined ? `\n  last read error: ${String(this.#lastError)}` : ''}`;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      const started = Date.now();
      await this.checkOnce();
      const wait = this.#intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** One round of checks; read errors of the poller itself are kept, not counted as violations. */
  async checkOnce(): Promise<void> {
    try {
      await this.#round();
      this.rounds += 1;
    } catch (error) {
      this.#lastError = error;
    }
  }

  async #round(): Promise<void> {
    const before = await this.#list();
    const documents: Array<{ key: string; subdirPrefix: string; records: Map<string, PackageRecord> }> = [];
    for (const [key, info] of before) {
      this.#noteMetadata(key, info);
      const match = REPODATA.exec(key);
      if (match === null) continue;
      const records = await this.#records(info);
      if (records === null) continue;
      documents.push({ key, subdirPrefix: `${match[1]}/${match[2]}`, records });
    }
    const after = await this.#list();
    for (const { key, subdirPrefix, records } of documents) {
      for (const [filename, record] of records) {
        const packageKey = `${subdirPrefix}/${filename}`;
        const info = after.get(packageKey);
        if (info === undefined) {
          this.#violate(`${key} lists ${filename}, which is not in the store`);
          continue;
        }
        if (record.size !== undefined && info.size !== record.size) {
          this.#violate(`${packageKey} has ${info.size} bytes, ${key} says ${record.size}`);
          continue;
        }
        if (record.sha256 !== undefined) {
          const sha256 = await this.#sha256(info);
          if (sha256 !== null && sha256 !== record.sha256) {
            this.#violate(`${packageKey} has sha256 ${sha256}, ${key} says ${record.sha256}`);
          }
        }
      }
    }
    if (this.#known === undefined) return;
    for (const [key, info] of after) {
      const match = PACKAGE.exec(key);
      if (match === null) continue;
      const allowed = this.#known.get(`${match[1]}/${match[2]}`);
      if (allowed === undefined) continue;
      const sha256 = await this.#sha256(info);
      if (sha256 !== null && !allowed.has(sha256)) {
        this.#violate(
          `${key} holds ${info.size} bytes (sha256 ${sha256}) that are no version of that package`,
        );
      }
    }
  }

  async #list(): Promise<Map<string, ObjectInfo>> {
    const objects = new Map<string, ObjectInfo>();
    for await (const info of this.#store.list('', { sha256: false })) objects.set(info.key, info);
    return objects;
  }

  #noteMetadata(key: string, info: ObjectInfo): void {
    if (!METADATA.test(key) || key.startsWith('.condasync/')) return;
    const history = this.#metadataHistory.get(key) ?? [];
    if (history.at(-1)?.etag !== info.etag) {
      history.push({ key, etag: info.etag, seenAt: Date.now() });
      this.#metadataHistory.set(key, history);
    }
  }

  /** The package records of one repodata.json version (parsed once per ETag); null when gone. */
  async #records(info: ObjectInfo): Promise<Map<string, PackageRecord> | null> {
    const cacheKey = `${info.key} ${info.etag}`;
    const cached = this.#documents.get(cacheKey);
    if (cached !== undefined) return cached;
    const text = await this.#readText(info.key);
    if (text === null) return null;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      this.#violate(`${info.key} is published but is not valid JSON (${(error as Error).message})`);
      return null;
    }
    const records = new Map<string, PackageRecord>();
    for (const section of ['packages', 'packages.conda']) {
      for (const [filename, record] of Object.entries(
        (doc[section] ?? {}) as Record<string, PackageRecord>,
      )) {
        records.set(filename, record);
      }
    }
    // Only the latest version of each document is kept.
    for (const old of this.#documents.keys()) if (old.startsWith(`${info.key} `)) this.#documents.delete(old);
    this.#documents.set(cacheKey, records);
    return records;
  }

  async #readText(key: string): Promise<string | null> {
    const object = await this.#store.get(key);
    if (object === null) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Hashes each object version once; null when it vanished in between (checked next round). */
  async #sha256(info: ObjectInfo): Promise<string | null> {
    const cacheKey = `${info.key} ${info.etag}`;
    const cached = this.#hashes.get(cacheKey);
    if (cached !== undefined) return cached;
    const object = await this.#store.get(info.key);
    if (object === null) return null;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of object.body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const sha256 = hash.digest('hex');
    // The object may have been replaced between the listing and this read; hash what we read.
    if (object.info.etag === info.etag && size === info.size) this.#hashes.set(cacheKey, sha256);
    return sha256;
  }

  #violate(message: string): void {
    const line = `${new Date().toISOString()} ${message}`;
    // The same standing problem is seen every round; record it once.
    if (!this.violations.some((existing) => existing.endsWith(` ${message}`))) this.violations.push(line);
  }
}

/** Package sha256s by `<subdir>/<filename>` from repodata documents (every version a test serves). */
export function knownPackagesOf(
  documents: Array<{ subdir: string; repodata: Record<string, unknown> }>,
): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>();
  for (const { subdir, repodata } of documents) {
    for (const section of ['packages', 'packages.conda']) {
      for (const [filename, record] of Object.entries(
        (repodata[section] ?? {}) as Record<string, PackageRecord>,
      )) {
        if (record.sha256 === undefined) continue;
        const key = `${subdir}/${filename}`;
        known.set(key, (known.get(key) ?? new Set()).add(record.sha256));
      }
    }
  }
  return known;
}
