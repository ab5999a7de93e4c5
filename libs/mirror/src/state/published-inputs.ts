import { createHash, type Hash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';
import type { FinalizeResult } from '../steps/finalize.ts';
import { readStateJson, writeStateJson } from './state-file.ts';

/**
 * What a subdir's last publication was made from, kept beside the published state so a re-run whose
 * inputs are the same can leave finalize out (docs/design.md §4): finalize is a pure function of
 * these inputs, and the HEADs of the top files say nobody else changed what it wrote since.
 */
export interface PublishedInputs {
  format: typeof STATE_FORMAT;
  /** sha256 over the records, the subdir's info and removed list, run_exports and the output options. */
  digest: string;
  /** The subdir's top metadata files as finalize left them; `null` for one it left absent. */
  files: Record<string, { size: number; etag: string } | null>;
  /** Unlisted shard files still counting down: a re-run must finalize to continue their grace. */
  pendingShards: number;
  /** The figures of that publication, reported again when finalize is left out. */
  result: Pick<FinalizeResult, 'records' | 'sha256' | 'bytes' | 'shards'>;
}

// Bumped whenever finalize writes different bytes for the same inputs, so an upgrade republishes.
const STATE_FORMAT = 1;

/** The files whose presence and ETag stand for "the publication is as finalize left it". */
export const TOP_FILES = [
  'repodata_shards.msgpack.zst',
  'run_exports.json',
  'run_exports.json.zst',
  'current_repodata.json',
  'current_repodata.json.zst',
  'repodata.json.bz2',
  'repodata.json.zst',
  'repodata.json',
] as const;

const stateKey = (channelPrefix: string, subdir: string): string =>
  `.condasync/state/${channelPrefix}${subdir}/published-inputs.json`;

/** Hashes the inputs of one finalize, records streamed (a subdir can hold 500 k of them). */
export class InputsDigest {
  readonly #hash: Hash = createHash('sha256');

  constructor(shape: Record<string, unknown>) {
    this.#hash.update(JSON.stringify({ format: STATE_FORMAT, ...shape }));
  }

  addRecord(filename: string, record: unknown): void {
    this.#hash.update(`\n${filename}\0${JSON.stringify(record)}`);
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

export async function readPublishedInputs(
  store: ObjectStore,
  channelPrefix: string,
  subdir: string,
): Promise<PublishedInputs | null> {
  const state = await readStateJson(store, stateKey(channelPrefix, subdir));
  if (state === null || typeof state !== 'object') return null;
  const inputs = state as Partial<PublishedInputs>;
  const whole =
    inputs.format === STATE_FORMAT &&
    typeof inputs.digest === 'string' &&
    typeof inputs.pendingShards === 'number' &&
    typeof inputs.files === 'object' &&
    inputs.files !== null &&
    typeof inputs.result === 'object' &&
    inputs.result !== null;
  return whole ? (inputs as PublishedInputs) : null;
}

/** HEADs the top files: what finalize must find to count as still published. */
export async function headTopFiles(
  store: ObjectStore,
  subdirPrefix: string,
): Promise<PublishedInputs['files']> {
  const heads = await Promise.all(TOP_FILES.map((name) => store.head(`${subdirPrefix}${name}`)));
  const files: PublishedInputs['files'] = {};
  TOP_FILES.forEach((name, i) => {
    const info = heads[i];
    files[name] = info ? { size: info.size, etag: info.etag } : null;
  });
  return files;
}

/** True when every top file is still exactly as recorded (present with its ETag, or absent). */
export function sameFiles(recorded: PublishedInputs['files'], now: PublishedInputs['files']): boolean {
  return TOP_FILES.every((name) => {
    const before = recorded[name] ?? null;
    const after = now[name] ?? null;
    return before === null || after === null
      ? before === after
      : before.size === after.size && before.etag === after.etag;
  });
}

export function writePublishedInputs(
  store: ObjectStore,
  channelPrefix: string,
  subdir: string,
  inputs: Omit<PublishedInputs, 'format'>,
): Promise<void> {
  return writeStateJson(store, stateKey(channelPrefix, subdir), { format: STATE_FORMAT, ...inputs });
}
