import { CodecError, CodecErrorCode } from '../errors.ts';
import { checkMemberPath } from '../member-path.ts';
import { TAR_BLOCK } from './tar-header.ts';

/** One regular file to write: its size must be known before its bytes (tar puts it in the header). */
export interface TarWriterEntry {
  path: string;
  size: number;
  /** Exactly `size` bytes; anything else stops the archive with MALFORMED_DATA. */
  body: AsyncIterable<Uint8Array> | Uint8Array;
  /** Seconds since the epoch (default 0, so the same content gives the same archive). */
  mtime?: number;
}

const encoder = new TextEncoder();
/** ustar's octal size field holds at most 11 digits: sizes from 8 GiB on go in a pax record. */
const MAX_USTAR_SIZE = 0o77777777777;
const END_OF_ARCHIVE = new Uint8Array(TAR_BLOCK * 2);

function writeText(block: Uint8Array, offset: number, length: number, text: string): void {
  block.set(encoder.encode(text).subarray(0, length), offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeText(block, offset, length - 1, value.toString(8).padStart(length - 1, '0'));
}

function headerBlock(name: string, size: number, type: string, mtime: number): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK);
  writeText(block, 0, 100, name);
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, Math.min(size, MAX_USTAR_SIZE));
  writeOctal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156);
  writeText(block, 156, 1, type);
  writeText(block, 257, 8, 'ustar\u000000');
  let sum = 0;
  for (const byte of block) sum += byte;
  writeText(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\u0000 `);
  return block;
}

/** A pax record `<length> <key>=<value>\n`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = encoder.encode(body).byteLength;
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return `${length}${body}`;
}

function padTo(size: number): Uint8Array {
  return new Uint8Array((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/**
 * The header blocks of one regular-file entry: plain ustar, preceded by a pax record when the name
 * is longer than ustar's 100 bytes or the size is 8 GiB or more (both read back by Python's tarfile,
 * GNU tar and our TarReader).
 */
export function tarFileHeader(path: string, size: number, mtime = 0): Uint8Array {
  checkMemberPath(path);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CodecError(CodecErrorCode.InvalidOption, `tar entry size ${size} is not a byte count`);
  }
  const nameBytes = encoder.encode(path).byteLength;
  const pax: string[] = [];
  if (nameBytes > 100) pax.push(paxRecord('path', path));
  if (size > MAX_USTAR_SIZE) pax.push(paxRecord('size', String(size)));
  const header = headerBlock(nameBytes > 100 ? path.slice(-100) : path, size, '0', mtime);
  if (pax.length === 0) return header;
  const paxBody = encoder.encode(pax.join(''));
  const paxHeader = headerBlock('PaxHeader', paxBody.byteLength, 'x', mtime);
  const out = new Uint8Array(
    TAR_BLOCK + paxBody.byteLength + padTo(paxBody.byteLength).byteLength + TAR_BLOCK,
  );
  out.set(paxHeader, 0);
  out.set(paxBody, TAR_BLOCK);
  out.set(header, out.byteLength - TAR_BLOCK);
  return out;
}

/**
 * A tar archive of `entries`, as a stream of chunks: each entry's bytes pass straight through, so
 * an archive of any size needs memory for one chunk, not one member.
 */
export async function* writeTar(entries: AsyncIterable<TarWriterEntry> | Iterable<TarWriterEntry>) {
  for await (const entry of entries) {
    yield tarFileHeader(entry.path, entry.size, entry.mtime ?? 0);
    let written = 0;
    const chunks = entry.body instanceof Uint8Array ? [entry.body] : entry.body;
    for await (const chunk of chunks) {
      written += chunk.byteLength;
      if (written > entry.size) break;
      yield chunk;
    }
    if (written !== entry.size) {
      throw new CodecError(
        CodecErrorCode.MalformedData,
        `tar entry ${JSON.stringify(entry.path)} has ${written > entry.size ? 'more' : 'fewer'} bytes than its declared ${entry.size}`,
      );
    }
    const padding = padTo(entry.size);
    if (padding.byteLength > 0) yield padding;
  }
  yield END_OF_ARCHIVE;
}
