import { constants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { PackageRecordJson } from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import { sha256Of } from '../steps/finalize/publish.ts';

/*
 * The web page's view of a published subdir, written by finalize beside the mirror's other
 * internal state (never served by /conda/): a page over a 500 k-record subdir must not parse a
 * 300 MB repodata.json. Three objects per subdir under `.condasync/browse/<channel>/<subdir>/`:
 *   summary.json   counts, bytes, when the subdir was last published (rewritten every finalize);
 *   index.json.gz  one row per record, column by column, sorted by name (rewritten when the
 *                  repodata changed): what search and the channel page scan;
 *   details-<sha>.bin  every record as `<filename>\t<canonical JSON>` lines in name order, in
 *                  zstd frames of about 64 KiB of text (whole names each: one call per name would
 *                  cost more than the compression); the index keeps each name's frame and place in
 *                  it, so a package page reads one frame (a range GET). Named after the repodata it
 *                  describes, so an index a reader cached never points into another index's file.
 */

export const BROWSE_FORMAT = 1;
const INTERNAL = '.condasync/browse/';

export const browseChannelPrefix = (channel: string): string => `${INTERNAL}${channel}/`;
const keyOf = (channel: string, subdir: string, name: string): string =>
  `${browseChannelPrefix(channel)}${subdir}/${name}`;

export interface BrowseSummary {
  format: number;
  channel: string;
  subdir: string;
  records: number;
  /** Package names. */
  names: number;
  /** Sum of the records' `size`. */
  bytes: number;
  /** When finalize last published this subdir (ISO 8601). */
  publishedAt: string;
  /** sha256 of the repodata.json the index describes: unchanged repodata, index left alone. */
  repodataSha256: string;
}

/** Columnar rows, sorted by name, then newest upload first. Row i is `names[name[i]]-version[i]-build[i]`. */
export interface BrowseIndex {
  format: number;
  subdir: string;
  names: string[];
  licenses: string[];
  name: number[];
  version: string[];
  build: string[];
  /** 1 for `.conda`, 0 for `.tar.bz2`. */
  conda: number[];
  size: number[];
  /** Milliseconds since the epoch, 0 when the record has none. */
  timestamp: number[];
  /** Index into `licenses`; `licenses[0]` is '' (none). */
  license: number[];
  /** The details file's name (beside index.json.gz). */
  details: string;
  /** Per frame of the details file: byte offset and length (flattened pairs). */
  frames: number[];
  /** Per name: its frame, and the character offset and length of its lines in the frame's text (flattened triples). */
  spans: number[];
}

/** What a package page shows of one record. */
export interface BrowseDetail {
  fn: string;
  version: string;
  build: string;
  size: number;
  sha256: string | null;
  md5: string | null;
  depends: string[];
  constrains: string[];
  license: string | null;
  license_family: string | null;
  timestamp: number | null;
}

export interface BrowseIndexInput {
  /** `<channel>/`, as finalize has it; '' (a folder export, not served by the API) writes nothing. */
  channelPrefix: string;
  subdir: string;
  /** The published records as finalize holds them: filename and canonical record JSON. */
  entries: Iterable<{ filename: string; json: string }>;
  repodataSha256: string;
  now?: number;
}

const textOf = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** What the index needs of a record; the parsed record itself is dropped at once (500 k of them would hold ~1 GB). */
interface Row {
  filename: string;
  json: string;
  name: string;
  version: string;
  build: string;
  size: number;
  timestamp: number;
  license: string;
}

/** Text per zstd frame of the details file: big enough that per-call costs vanish, small to read. */
const FRAME_CHARS = 64 * 1024;

/**
 * Writes the subdir's browse objects for the web page. Cheap when the repodata did not change
 * (only summary.json is rewritten, to record the sync's time).
 */
export async function writeBrowseIndex(
  input: BrowseIndexInput,
  ctx: { store: ObjectStore; signal?: AbortSignal | undefined },
): Promise<BrowseSummary | null> {
  const channel = input.channelPrefix.replace(/\/$/, '');
  if (channel === '') return null;
  const put = async (key: string, body: Buffer, contentType: string): Promise<void> => {
    await ctx.store.put(key, body, {
      size: body.byteLength,
      sha256: sha256Of(body),
      contentType,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  };
  const summaryKey = keyOf(channel, input.subdir, 'summary.json');
  const previous = await readJson<BrowseSummary>(ctx.store, summaryKey);
  const publishedAt = new Date(input.now ?? Date.now()).toISOString();
  if (
    previous?.format === BROWSE_FORMAT &&
    previous.repodataSha256 === input.repodataSha256 &&
    (await ctx.store.head(keyOf(channel, input.subdir, 'index.json.gz'))) !== null
  ) {
    const summary = { ...previous, publishedAt };
    await put(summaryKey, Buffer.from(JSON.stringify(summary)), 'application/json');
    return summary;
  }

  const rows: Row[] = [];
  for (const { filename, json } of input.entries) {
    const record = JSON.parse(json) as PackageRecordJson;
    rows.push({
      filename,
      json,
      name: record.name,
      version: record.version,
      build: record.build,
      size: count(record.size),
      timestamp: count(record['timestamp']),
      license: textOf(record['license']) ?? '',
    });
  }
  rows.sort(
    (a, b) =>
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      b.timestamp - a.timestamp ||
      (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0),
  );

  const index: BrowseIndex = {
    format: BROWSE_FORMAT,
    subdir: input.subdir,
    names: [],
    licenses: [''],
    name: [],
    version: [],
    build: [],
    conda: [],
    size: [],
    timestamp: [],
    license: [],
    details: `details-${input.repodataSha256.slice(0, 16)}.bin`,
    frames: [],
    spans: [],
  };
  const licenseIds = new Map<string, number>([['', 0]]);
  const frames: Buffer[] = [];
  let offset = 0;
  let bytes = 0;
  let text = '';
  let nameStart = 0;
  const closeName = (): void => {
    if (index.names.length > 0) index.spans.push(frames.length, nameStart, text.length - nameStart);
  };
  const closeFrame = (): void => {
    if (text === '') return;
    const frame = zstdCompressSync(text, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });
    index.frames.push(offset, frame.byteLength);
    frames.push(frame);
    offset += frame.byteLength;
    text = '';
  };
  for (const row of rows) {
    if (index.names.at(-1) !== row.name) {
      closeName();
      if (text.length >= FRAME_CHARS) closeFrame();
      index.names.push(row.name);
      nameStart = text.length;
    }
    const { license } = row;
    let licenseId = licenseIds.get(license);
    if (licenseId === undefined) {
      licenseId = index.licenses.push(license) - 1;
      licenseIds.set(license, licenseId);
    }
    bytes += row.size;
    index.name.push(index.names.length - 1);
    index.version.push(row.version);
    index.build.push(row.build);
    index.conda.push(row.filename.endsWith('.conda') ? 1 : 0);
    index.size.push(row.size);
    index.timestamp.push(row.timestamp);
    index.license.push(licenseId);
    text += `${row.filename}\t${row.json}\n`;
  }
  closeName();
  closeFrame();

  // Details first and the index after it, so the spans an index names always exist.
  await put(keyOf(channel, input.subdir, index.details), Buffer.concat(frames), 'application/octet-stream');
  await put(
    keyOf(channel, input.subdir, 'index.json.gz'),
    gzipSync(JSON.stringify(index), { level: 1 }),
    'application/gzip',
  );
  const summary: BrowseSummary = {
    format: BROWSE_FORMAT,
    channel,
    subdir: input.subdir,
    records: rows.length,
    names: index.names.length,
    bytes,
    publishedAt,
    repodataSha256: input.repodataSha256,
  };
  await put(summaryKey, Buffer.from(JSON.stringify(summary)), 'application/json');
  const stale = previous?.repodataSha256 ? `details-${previous.repodataSha256.slice(0, 16)}.bin` : null;
  if (stale !== null && stale !== index.details) await ctx.store.delete(keyOf(channel, input.subdir, stale));
  return summary;
}

async function readBytes(store: ObjectStore, key: string, range?: { start: number; end: number }) {
  const object = await store.get(key, range === undefined ? {} : { range });
  if (object === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), etag: object.info.etag };
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const read = await readBytes(store, key);
  if (read === null) return null;
  try {
    return JSON.parse(read.bytes.toString('utf8')) as T;
  } catch {
    return null;
  }
}

/** Every published subdir's summary, all channels or one, sorted by channel then subdir. */
export async function listBrowseSummaries(store: ObjectStore, channel?: string): Promise<BrowseSummary[]> {
  const summaries: BrowseSummary[] = [];
  for await (const info of store.list(channel === undefined ? INTERNAL : browseChannelPrefix(channel), {
    sha256: false,
  })) {
    if (!info.key.endsWith('/summary.json')) continue;
    const summary = await readJson<BrowseSummary>(store, info.key);
    if (summary?.format === BROWSE_FORMAT) summaries.push(summary);
  }
  return summaries.sort((a, b) =>
    a.channel === b.channel ? (a.subdir < b.subdir ? -1 : 1) : a.channel < b.channel ? -1 : 1,
  );
}

/** The ETag of a subdir's index, to tell a cached copy is still current; null when none. */
export async function browseIndexEtag(store: ObjectStore, channel: string, subdir: string) {
  return (await store.head(keyOf(channel, subdir, 'index.json.gz')))?.etag ?? null;
}

export async function readBrowseIndex(
  store: ObjectStore,
  channel: string,
  subdir: string,
): Promise<{ index: BrowseIndex; etag: string } | null> {
  const read = await readBytes(store, keyOf(channel, subdir, 'index.json.gz'));
  if (read === null) return null;
  const index = JSON.parse(gunzipSync(read.bytes).toString('utf8')) as BrowseIndex;
  return index.format === BROWSE_FORMAT ? { index, etag: read.etag } : null;
}

/** The records of package `nameId` in a subdir, read from its frame of the details file. */
export async function readBrowseDetails(
  store: ObjectStore,
  channel: string,
  index: BrowseIndex,
  nameId: number,
): Promise<BrowseDetail[]> {
  const [frame, start, length] = index.spans.slice(nameId * 3, nameId * 3 + 3);
  if (frame === undefined || start === undefined || length === undefined || length === 0) return [];
  const offset = index.frames[frame * 2] as number;
  const read = await readBytes(store, keyOf(channel, index.subdir, index.details), {
    start: offset,
    end: offset + (index.frames[frame * 2 + 1] as number) - 1,
  });
  if (read === null) return [];
  const lines = zstdDecompressSync(read.bytes)
    .toString('utf8')
    .slice(start, start + length)
    .split('\n');
  return lines.filter((line) => line !== '').map(detailOf);
}

function detailOf(line: string): BrowseDetail {
  const tab = line.indexOf('\t');
  const record = JSON.parse(line.slice(tab + 1)) as PackageRecordJson;
  return {
    fn: line.slice(0, tab),
    version: record.version,
    build: record.build,
    size: count(record.size),
    sha256: textOf(record.sha256),
    md5: textOf(record.md5),
    depends: strings(record.depends),
    constrains: strings(record.constrains),
    license: textOf(record['license']),
    license_family: textOf(record['license_family']),
    timestamp: typeof record['timestamp'] === 'number' ? record['timestamp'] : null,
  };
}
