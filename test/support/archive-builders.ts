// Builders for small, possibly hostile, package archives: a ustar writer (with pax and GNU
// long-name records), a STORED zip writer (with zip64 extras and ways to lie), and .conda /
// .tar.bz2 wrappers around them.
import { Buffer } from 'node:buffer';
import { crc32, zstdCompressSync } from 'node:zlib';
import { compressBzip2Sync } from '@condasync/codecs';

export interface TarMember {
  name: string;
  /** Type flag: '0' file (default), '2' symlink, '1' hardlink, '5' directory, 'x' pax, 'L' GNU long name. */
  type?: string;
  body?: string | Uint8Array;
  linkName?: string;
  /** Overrides the size field (to lie about it). */
  size?: number;
  /** Writes the size in GNU base-256 form. */
  base256Size?: boolean;
  /** Corrupts the header checksum. */
  badChecksum?: boolean;
  /** Splits the name into the ustar prefix field at this index. */
  prefixSplit?: number;
}

function writeString(block: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`"${text}" does not fit in ${length} bytes`);
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length, value.toString(8).padStart(length - 1, '0'));
}

function header(member: TarMember, bodyLength: number): Uint8Array {
  const block = new Uint8Array(512);
  let name = member.name;
  if (member.prefixSplit !== undefined) {
    writeString(block, 345, 155, name.slice(0, member.prefixSplit));
    name = name.slice(member.prefixSplit + 1);
  }
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  const size = member.size ?? bodyLength;
  if (member.base256Size) {
    block[124] = 0x80;
    for (let i = 0, value = size; i < 11; i++, value = Math.floor(value / 256)) block[135 - i] = value % 256;
  } else {
    writeOctal(block, 124, 12, size);
  }
  writeOctal(block, 136, 12, 1_700_000_000);
  block[156] = (member.type ?? '0').charCodeAt(0);
  writeString(block, 157, 100, member.linkName ?? '');
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeOctal(block, 148, 7, member.badChecksum ? sum + 1 : sum);
  return block;
}

/** A ustar archive of `members`, ended by two zero blocks unless `end` is false. */
export function tarArchive(members: TarMember[], end = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const member of members) {
    const body =
      typeof member.body === 'string' ? Buffer.from(member.body) : (member.body ?? new Uint8Array(0));
    parts.push(header(member, body.length), body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  if (end) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** A pax record line, its length prefix counting itself. */
export function paxRecord(key: string, value: string): string {
  const content = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(content) + 1;
  while (String(length).length + Buffer.byteLength(content) !== length) length++;
  return `${length}${content}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}

export const SAMPLE_INDEX = {
  arch: 'x86_64',
  build: 'h0_0',
  build_number: 0,
  depends: ['zlib'],
  name: 'sample',
  platform: 'linux',
  subdir: 'linux-64',
  timestamp: 1700000000000,
  version: '1.0',
};
export const SAMPLE_FILENAME_STEM = 'sample-1.0-h0_0';

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** Compression method written in the headers (0 = STORED, the only one .conda uses). */
  method?: number;
  /** Writes 0xffffffff sizes with a zip64 extra field holding the real ones. */
  zip64?: boolean;
  /** Overrides the compressed and uncompressed sizes in the central directory (to lie). */
  claimedSize?: number;
  /** Overrides the name in the local header. */
  localName?: string;
}

/**
 * A zip of STORED members, as conda-package-handling writes (central directory at the end). With
 * `zip64End`, the directory is located through a zip64 end record and locator.
 */
export function zipArchive(members: ZipMember[], options: { zip64End?: boolean } = {}): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name);
    const localName = Buffer.from(member.localName ?? member.name);
    const crc = crc32(member.data);
    const size = member.claimedSize ?? member.data.length;
    const extra = member.zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (member.zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(size), 12);
    }
    const headerSize = member.zip64 ? 0xffffffff : size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(member.method ?? 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(member.data.length, 18);
    local.writeUInt32LE(member.data.length, 22);
    local.writeUInt16LE(localName.length, 26);
    locals.push(local, localName, member.data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(member.method ?? 0, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(headerSize, 20);
    entry.writeUInt32LE(headerSize, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name, extra);
    offset += 30 + localName.length + member.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  if (!options.zip64End) {
    end.writeUInt16LE(members.length, 8);
    end.writeUInt16LE(members.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, directory, end]);
  }
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  const zip64End = Buffer.alloc(56);
  zip64End.writeUInt32LE(0x06064b50, 0);
  zip64End.writeBigUInt64LE(44n, 4);
  zip64End.writeBigUInt64LE(BigInt(members.length), 24);
  zip64End.writeBigUInt64LE(BigInt(members.length), 32);
  zip64End.writeBigUInt64LE(BigInt(directory.length), 40);
  zip64End.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...locals, directory, zip64End, locator, end]);
}

/** A .conda whose info tarball holds `infoMembers` (and an empty payload tarball). */
export function condaArchive(infoMembers: TarMember[], stem = SAMPLE_FILENAME_STEM): Uint8Array {
  return zipArchive([
    { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
    { name: `pkg-${stem}.tar.zst`, data: zstdCompressSync(tarArchive([])) },
    { name: `info-${stem}.tar.zst`, data: zstdCompressSync(tarArchive(infoMembers)) },
  ]);
}

export function tarBz2Archive(members: TarMember[]): Uint8Array {
  return compressBzip2Sync(tarArchive(members), { level: 1 });
}

/** A source that hands out `bytes` in chunks of `size`, and records whether it was closed early. */
export function chunkedSource(
  bytes: Uint8Array,
  size: number,
): AsyncIterable<Uint8Array> & { closed: boolean } {
  const source = {
    closed: false,
    async *[Symbol.asyncIterator]() {
      try {
        for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
      } finally {
        source.closed = true;
      }
    },
  };
  return source;
}
