import { CodecError, CodecErrorCode } from '../errors.ts';
import { normaliseMemberPath } from '../member-path.ts';
import { ByteQueue } from './byte-queue.ts';
import { malformedTar, parsePaxRecords, parseTarHeader, TAR_BLOCK, type TarHeader } from './tar-header.ts';

export const TarEntryType = {
  File: 'file',
  Directory: 'directory',
  Symlink: 'symlink',
  Hardlink: 'hardlink',
  /** Devices, FIFOs and types this reader does not know. */
  Other: 'other',
} as const;
export type TarEntryType = (typeof TarEntryType)[keyof typeof TarEntryType];

export interface TarEntry {
  /** Normalised: no `./` segments, no trailing slash, never absolute, never `..`. */
  path: string;
  type: TarEntryType;
  size: number;
  linkTarget: string;
}

export interface TarReaderOptions {
  /** Most entries (not counting pax and GNU long-name records). */
  maxEntries: number;
  /** Most decompressed bytes pulled from the source. */
  maxBytes: number;
}

/** Cap on a pax or GNU long-name record: real ones are a few hundred bytes. */
const MAX_META_BYTES = 1024 * 1024;
/** More metadata records than this before one entry is not an archive anyone wrote. */
const MAX_META_RECORDS_IN_A_ROW = 8;

/** Types whose data follows the header, as in Python's tarfile: regular files and unknown types. */
const TYPES_WITHOUT_DATA = new Set(['1', '2', '3', '4', '5', '6']);

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return TarEntryType.File;
    case '5':
      return TarEntryType.Directory;
    case '2':
      return TarEntryType.Symlink;
    case '1':
      return TarEntryType.Hardlink;
    default:
      return TarEntryType.Other;
  }
}

function padding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/**
 * Reads a ustar/pax/GNU tar stream entry by entry without extracting anything. An entry's data is
 * skipped unless `readBody` asks for it. Like Python's tarfile (which conda uses), the archive
 * ends at the first all-zero block or at the end of the stream on a block boundary. Member names
 * that could escape an extraction folder are refused (UNSAFE_PATH), broken headers are
 * MALFORMED_DATA, passing `maxEntries` or `maxBytes` is LIMIT_EXCEEDED; errors of the source
 * (e.g. a decompressor's) pass through unchanged.
 */
export class TarReader {
  readonly #queue: ByteQueue;
  readonly #options: TarReaderOptions;
  #entries = 0;
  #dataLeft = 0;
  #paddingLeft = 0;
  #current: TarEntry | null = null;
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>, options: TarReaderOptions) {
    this.#options = options;
    this.#queue = new ByteQueue(source, options.maxBytes);
  }

  /** The next entry, or null at the end of the archive. */
  next(): Promise<TarEntry | null> {
    return this.#next();
  }

  /** The current entry's data (call at most once per entry, before `next`). */
  async readBody(maxBytes: number): Promise<Uint8Array> {
    const entry = this.#current;
    if (entry === null || this.#dataLeft !== entry.size) {
      throw new CodecError(
        CodecErrorCode.InvalidOption,
        'readBody: no unread entry (call it once per entry, after next())',
      );
    }
    if (entry.size > maxBytes) {
      throw new CodecError(
        CodecErrorCode.LimitExceeded,
        `member ${JSON.stringify(entry.path)} is ${entry.size} bytes (limit ${maxBytes})`,
      );
    }
    return this.#readData();
  }

  /**
   * The current entry's data as it arrives, for members too large to hold (call at most once per
   * entry, before `next`). Stopping part-way is fine: `next` skips what was left unread.
   */
  async *bodyChunks(): AsyncGenerator<Uint8Array> {
    const entry = this.#current;
    if (entry === null || this.#dataLeft !== entry.size) {
      throw new CodecError(
        CodecErrorCode.InvalidOption,
        'bodyChunks: no unread entry (call it once per entry, after next())',
      );
    }
    while (this.#dataLeft > 0) {
      const chunk = await this.#queue.readSome(this.#dataLeft);
      if (chunk === null) throw malformedTar('entry data is truncated');
      this.#dataLeft -= chunk.byteLength;
      yield chunk;
    }
  }

  /** Stops the decompressor behind this reader. */
  close(): Promise<void> {
    return this.#queue.close();
  }

  async #readData(): Promise<Uint8Array> {
    const data = (await this.#queue.read(this.#dataLeft)) ?? new Uint8Array(0);
    if (data.byteLength !== this.#dataLeft) throw malformedTar('entry data is truncated');
    this.#dataLeft = 0;
    return data;
  }

  async #readBlock(): Promise<Uint8Array | null> {
    return this.#queue.read(TAR_BLOCK);
  }

  async #next(): Promise<TarEntry | null> {
    if (this.#ended) return null;
    await this.#queue.skip(this.#dataLeft + this.#paddingLeft);
    this.#dataLeft = 0;
    this.#paddingLeft = 0;
    this.#current = null;
    let pax = new Map<string, string>();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (let meta = 0; ; meta++) {
      if (meta > MAX_META_RECORDS_IN_A_ROW) throw malformedTar('too many pax/long-name records in a row');
      const block = await this.#readBlock();
      const header = block === null ? null : parseTarHeader(block);
      if (header === null) {
        this.#ended = true;
        return null;
      }
      if (header.type === 'x' || header.type === 'g' || header.type === 'L' || header.type === 'K') {
        const body = await this.#readMeta(header);
        if (header.type === 'x') pax = parsePaxRecords(body);
        else if (header.type === 'L') longName = nulTerminated(body);
        else if (header.type === 'K') longLink = nulTerminated(body);
        // 'g' (global pax) only carries defaults such as mtime; nothing the index reads.
        continue;
      }
      return this.#begin(header, pax, longName, longLink);
    }
  }

  async #readMeta(header: TarHeader): Promise<Uint8Array> {
    if (header.size > MAX_META_BYTES) {
      throw malformedTar(`"${header.type}" record of ${header.size} bytes is too large`);
    }
    this.#dataLeft = header.size;
    const body = await this.#readData();
    await this.#queue.skip(padding(header.size));
    return body;
  }

  #begin(header: TarHeader, pax: Map<string, string>, longName?: string, longLink?: string): TarEntry {
    const { maxEntries } = this.#options;
    this.#entries++;
    if (this.#entries > maxEntries) {
      throw new CodecError(CodecErrorCode.LimitExceeded, `tar data has more than ${maxEntries} entries`);
    }
    const rawName = pax.get('path') ?? longName ?? header.name;
    const paxSize = pax.get('size');
    let size = header.size;
    if (paxSize !== undefined) {
      if (!/^\d+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) {
        throw malformedTar(`pax size ${JSON.stringify(paxSize)} is not a byte count`);
      }
      size = Number(paxSize);
    }
    const hasData = !TYPES_WITHOUT_DATA.has(header.type);
    const entry: TarEntry = {
      path: normaliseMemberPath(rawName),
      type: entryType(header.type),
      size: hasData ? size : 0,
      linkTarget: pax.get('linkpath') ?? longLink ?? header.linkName,
    };
    this.#current = entry;
    this.#dataLeft = entry.size;
    this.#paddingLeft = padding(entry.size);
    return entry;
  }
}

function nulTerminated(body: Uint8Array): string {
  const end = body.indexOf(0);
  return new TextDecoder().decode(end === -1 ? body : body.subarray(0, end));
}
