import { crc32 } from 'node:zlib';
import { CodecError, CodecErrorCode } from '../errors.ts';
import { checkMemberPath } from '../member-path.ts';

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const END_OF_DIRECTORY_SIZE = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const ENCRYPTED_FLAG = 0x1;

/** One member, as the central directory describes it (the directory is what Python's zipfile reads). */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** Little-endian reads that fail with a clear message instead of a RangeError. */
class ZipView {
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(problem: string, code: CodecErrorCode = CodecErrorCode.MalformedData): never {
    throw new CodecError(code, `not a valid zip: ${problem}`);
  }

  need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.byteLength) {
      this.fail(`${what} at byte ${offset} runs past the end of the file (${this.bytes.byteLength} bytes)`);
    }
  }

  u16(offset: number): number {
    return this.#view.getUint16(offset, true);
  }

  u32(offset: number): number {
    return this.#view.getUint32(offset, true);
  }

  u64(offset: number, what: string): number {
    const value = this.#view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${value} is too large`);
    return Number(value);
  }
}

/** The end-of-central-directory record whose comment ends exactly at the end of the file. */
function findEndOfDirectory(zip: ZipView): number {
  const bytes = zip.bytes;
  const lowest = Math.max(0, bytes.byteLength - END_OF_DIRECTORY_SIZE - MAX_COMMENT);
  for (let offset = bytes.byteLength - END_OF_DIRECTORY_SIZE; offset >= lowest; offset--) {
    if (
      zip.u32(offset) === END_OF_DIRECTORY &&
      offset + END_OF_DIRECTORY_SIZE + zip.u16(offset + 20) === bytes.byteLength
    ) {
      return offset;
    }
  }
  return zip.fail('no end-of-central-directory record (not a zip file, or truncated)');
}

interface DirectoryLocation {
  offset: number;
  size: number;
  count: number;
}

function locateDirectory(zip: ZipView, endOffset: number): DirectoryLocation {
  let count = zip.u16(endOffset + 10);
  let size = zip.u32(endOffset + 12);
  let offset = zip.u32(endOffset + 16);
  if (zip.u16(endOffset + 4) !== 0 || zip.u16(endOffset + 6) !== 0 || zip.u16(endOffset + 8) !== count) {
    zip.fail('multi-disk zip files are not supported', CodecErrorCode.Unsupported);
  }
  const locator = endOffset - 20;
  if (locator >= 0 && zip.u32(locator) === ZIP64_LOCATOR) {
    const zip64End = zip.u64(locator + 8, 'zip64 end-of-directory offset');
    zip.need(zip64End, 56, 'zip64 end-of-central-directory record');
    if (zip.u32(zip64End) !== ZIP64_END_OF_DIRECTORY)
      zip.fail('bad zip64 end-of-central-directory signature');
    count = zip.u64(zip64End + 32, 'zip64 entry count');
    size = zip.u64(zip64End + 40, 'zip64 central directory size');
    offset = zip.u64(zip64End + 48, 'zip64 central directory offset');
  }
  zip.need(offset, size, 'central directory');
  return { offset, size, count };
}

/** Replaces 0xffffffff fields by their zip64 extra values, in the order the format fixes. */
function applyZip64Extra(zip: ZipView, entry: ZipEntry, extraStart: number, extraEnd: number): void {
  const wantsUncompressed = entry.uncompressedSize === 0xffffffff;
  const wantsCompressed = entry.compressedSize === 0xffffffff;
  const wantsOffset = entry.localHeaderOffset === 0xffffffff;
  for (let at = extraStart; at + 4 <= extraEnd; ) {
    const id = zip.u16(at);
    const length = zip.u16(at + 2);
    const dataEnd = at + 4 + length;
    if (dataEnd > extraEnd) zip.fail(`extra field of "${entry.name}" overruns its entry`);
    if (id === ZIP64_EXTRA) {
      // Writers may add values for fields that are not 0xffffffff (rattler-build does); like
      // Python's zipfile, only the fields that ask for it take one.
      let field = at + 4;
      const take = (what: string): number => {
        if (field + 8 > dataEnd) zip.fail(`zip64 extra field of "${entry.name}" lacks the ${what}`);
        const value = zip.u64(field, what);
        field += 8;
        return value;
      };
      if (wantsUncompressed) entry.uncompressedSize = take('uncompressed size');
      if (wantsCompressed) entry.compressedSize = take('compressed size');
      if (wantsOffset) entry.localHeaderOffset = take('local header offset');
      return;
    }
    at = dataEnd;
  }
  if (wantsUncompressed || wantsCompressed || wantsOffset) {
    zip.fail(`"${entry.name}" has 0xffffffff sizes but no zip64 extra field`);
  }
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Where the central directory starts: member data must end before it. */
  directoryOffset: number;
}

/**
 * Reads a zip's central directory, zip64 included (conda-package-handling forces zip64,
 * rattler-build adds zip64 extras to every entry). Refuses multi-disk archives (UNSUPPORTED),
 * member names that could escape a folder (UNSAFE_PATH), duplicate names and broken records
 * (MALFORMED_DATA) and more than `maxEntries` entries (LIMIT_EXCEEDED).
 */
export function readZipDirectory(bytes: Uint8Array, maxEntries: number): ZipDirectory {
  const zip = new ZipView(bytes);
  if (bytes.byteLength < END_OF_DIRECTORY_SIZE) zip.fail(`only ${bytes.byteLength} bytes long`);
  const { offset, size, count } = locateDirectory(zip, findEndOfDirectory(zip));
  if (count > maxEntries) {
    throw new CodecError(CodecErrorCode.LimitExceeded, `zip has ${count} entries (limit ${maxEntries})`);
  }
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let at = offset;
  const end = offset + size;
  for (let i = 0; i < count; i++) {
    zip.need(at, 46, 'central directory entry');
    if (at + 46 > end || zip.u32(at) !== DIRECTORY_ENTRY) zip.fail(`bad central directory entry ${i}`);
    const nameLength = zip.u16(at + 28);
    const extraLength = zip.u16(at + 30);
    const commentLength = zip.u16(at + 32);
    const entryEnd = at + 46 + nameLength + extraLength + commentLength;
    if (entryEnd > end) zip.fail(`central directory entry ${i} overruns the directory`);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    checkMemberPath(name);
    if (names.has(name)) zip.fail(`member "${name}" appears twice`);
    names.add(name);
    const entry: ZipEntry = {
      name,
      flags: zip.u16(at + 8),
      method: zip.u16(at + 10),
      crc32: zip.u32(at + 16),
      compressedSize: zip.u32(at + 20),
      uncompressedSize: zip.u32(at + 24),
      localHeaderOffset: zip.u32(at + 42),
    };
    applyZip64Extra(zip, entry, at + 46 + nameLength, at + 46 + nameLength + extraLength);
    entries.push(entry);
    at = entryEnd;
  }
  return { entries, directoryOffset: offset };
}

/**
 * The bytes of a STORED member (the only method .conda files use), after checking its local
 * header against the central directory and its CRC: sizes that point outside the file or into the
 * central directory are refused (MALFORMED_DATA); encrypted or compressed members are UNSUPPORTED.
 */
export function storedMemberData(bytes: Uint8Array, directory: ZipDirectory, entry: ZipEntry): Uint8Array {
  const zip = new ZipView(bytes);
  if (entry.flags & ENCRYPTED_FLAG) zip.fail(`"${entry.name}" is encrypted`, CodecErrorCode.Unsupported);
  if (entry.method !== STORED) {
    zip.fail(
      `"${entry.name}" uses compression method ${entry.method}; expected STORED (0)`,
      CodecErrorCode.Unsupported,
    );
  }
  if (entry.compressedSize !== entry.uncompressedSize) {
    zip.fail(
      `"${entry.name}" is STORED but claims ${entry.compressedSize} compressed and ${entry.uncompressedSize} uncompressed bytes`,
    );
  }
  const at = entry.localHeaderOffset;
  zip.need(at, 30, `local header of "${entry.name}"`);
  if (zip.u32(at) !== LOCAL_HEADER) zip.fail(`no local header for "${entry.name}" at byte ${at}`);
  const nameLength = zip.u16(at + 26);
  const extraLength = zip.u16(at + 28);
  zip.need(at + 30, nameLength, `local name of "${entry.name}"`);
  const localName = new TextDecoder().decode(bytes.subarray(at + 30, at + 30 + nameLength));
  if (localName !== entry.name) {
    zip.fail(`local header at byte ${at} names "${localName}", the central directory "${entry.name}"`);
  }
  const start = at + 30 + nameLength + extraLength;
  zip.need(start, entry.compressedSize, `data of "${entry.name}"`);
  if (start + entry.compressedSize > directory.directoryOffset) {
    zip.fail(
      `data of "${entry.name}" (${entry.compressedSize} bytes at byte ${start}) overlaps the central directory`,
    );
  }
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (crc32(data) !== entry.crc32)
    zip.fail(`CRC-32 of "${entry.name}" does not match (corrupt or lying size)`);
  return data;
}
