import { Buffer } from 'node:buffer';
import { CondaError, CondaErrorCode } from '../errors.ts';
import { canonicalJson, canonicalRecordJson, compareFilenames } from './canonical-json.ts';
import type { ArtifactFormat, RepodataEntry } from './types.ts';
import { assertArtifactFilename } from './validate-record.ts';

/** A record to write: either already serialized with `canonicalRecordJson`, or a parsed entry. */
export type RepodataWriterEntry = { filename: string; json: string } | RepodataEntry;

type Entries = Iterable<RepodataWriterEntry> | AsyncIterable<RepodataWriterEntry>;

export interface RepodataWriterInput {
  /** Written as `info.subdir`, whatever upstream said. */
  subdir: string;
  /** Upstream `info`; kept except `base_url`, `channel_relations` and `repodata_revisions`. */
  info?: Readonly<Record<string, unknown>>;
  /** Filenames for `removed`; written sorted and without duplicates. */
  removed?: Iterable<string>;
  /** `.tar.bz2` entries, sorted by `compareFilenames`, no duplicates. */
  packages: Entries;
  /** `.conda` entries, sorted by `compareFilenames`, no duplicates. */
  packagesConda: Entries;
}

export interface WriteRepodataOptions {
  /** Approximate size of each yielded chunk (default 256 KiB). */
  chunkBytes?: number;
}

/**
 * Upstream info keys we must not pass through: `base_url` points clients at the upstream (we serve
 * packages next to repodata.json), `channel_relations` (CEP 42) makes clients load other channels,
 * and `repodata_revisions` (CEP 48) describes the `v3` key, which we do not write.
 */
const DROPPED_INFO_KEYS = new Set(['base_url', 'channel_relations', 'repodata_revisions']);

function outputInfo(
  subdir: string,
  info: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  // No prototype, so a "__proto__" key from upstream is just a key.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(info ?? {})) {
    if (!DROPPED_INFO_KEYS.has(key)) out[key] = info![key];
  }
  out.subdir = subdir;
  return out;
}

/** Batches small strings into Buffers of about `chunkBytes`. */
class ChunkBuffer {
  readonly #chunkBytes: number;
  #parts: string[] = [];
  #length = 0;
  constructor(chunkBytes: number) {
    this.#chunkBytes = chunkBytes;
  }
  /** Adds text; returns a full chunk when one is ready. */
  add(text: string): Buffer | undefined {
    this.#parts.push(text);
    this.#length += text.length;
    return this.#length >= this.#chunkBytes ? this.flush() : undefined;
  }
  flush(): Buffer | undefined {
    if (this.#length === 0) return undefined;
    const chunk = Buffer.from(this.#parts.join(''), 'utf8');
    this.#parts = [];
    this.#length = 0;
    return chunk;
  }
}

async function* sectionMembers(
  section: string,
  format: ArtifactFormat,
  entries: Entries,
): AsyncGenerator<string> {
  let previous: string | undefined;
  let first = true;
  for await (const entry of entries) {
    const { filename } = entry;
    assertArtifactFilename(filename, format);
    if (previous !== undefined && compareFilenames(previous, filename) >= 0) {
      throw new CondaError(
        CondaErrorCode.InvalidFilename,
        `repodata writer: entries of "${section}" must be sorted by filename without duplicates, got "${filename}" after "${previous}"`,
      );
    }
    previous = filename;
    const json = 'json' in entry ? entry.json : canonicalRecordJson(entry.record);
    yield (first ? '' : ',') + JSON.stringify(filename) + ':' + json;
    first = false;
  }
}

/**
 * Writes repodata.json as a stream of Buffer chunks, never one giant string. The bytes are
 * deterministic and match conda-index's default output: keys sorted at every depth, records sorted
 * by filename, compact separators, ASCII-only, no trailing newline:
 * `{"info":{…},"packages":{…},"packages.conda":{…},"removed":[…],"repodata_version":1}`.
 * Throws INVALID_FILENAME when entries are out of order, duplicated or in the wrong section.
 */
export async function* writeRepodata(
  input: RepodataWriterInput,
  options: WriteRepodataOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const out = new ChunkBuffer(options.chunkBytes ?? 256 * 1024);
  const removed = [...new Set(input.removed ?? [])].sort(compareFilenames);
  for (const filename of removed) assertArtifactFilename(filename);

  let chunk = out.add(`{"info":${canonicalJson(outputInfo(input.subdir, input.info))},"packages":{`);
  if (chunk) yield chunk;
  for await (const member of sectionMembers('packages', 'tar.bz2', input.packages)) {
    chunk = out.add(member);
    if (chunk) yield chunk;
  }
  chunk = out.add('},"packages.conda":{');
  if (chunk) yield chunk;
  for await (const member of sectionMembers('packages.conda', 'conda', input.packagesConda)) {
    chunk = out.add(member);
    if (chunk) yield chunk;
  }
  out.add(`},"removed":${canonicalJson(removed)},"repodata_version":1}`);
  chunk = out.flush();
  if (chunk) yield chunk;
}
