import { CodecError, CodecErrorCode } from '../errors.ts';

/** A tar header block, decoded but not yet merged with pax or GNU long-name records. */
export interface TarHeader {
  name: string;
  linkName: string;
  size: number;
  /** The type flag character ('0', '5', 'x', ...); '\0' is a regular file in old archives. */
  type: string;
}

/** A tar structure that no tar writer produces. */
export function malformedTar(problem: string): CodecError {
  return new CodecError(CodecErrorCode.MalformedData, `tar data is malformed: ${problem}`);
}

export const TAR_BLOCK = 512;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** A NUL-terminated field. Names are UTF-8 in practice (what Python's tarfile assumes too). */
function cString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return utf8.decode(end === -1 ? field : field.subarray(0, end));
}

/** An octal field, or GNU base-256 (high bit set) for sizes of 8 GiB and more. */
function parseNumber(block: Uint8Array, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) throw malformedTar(`negative ${what} in tar header`);
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) throw malformedTar(`${what} in tar header is too large`);
    return value;
  }
  const text = latin1
    .decode(field)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw malformedTar(`${what} field ${JSON.stringify(text)} is not octal`);
  return Number.parseInt(text, 8);
}

function isZeroBlock(block: Uint8Array): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

/** The stored checksum must equal the byte sum with the checksum field read as spaces. */
function checkChecksum(block: Uint8Array): void {
  const stored = parseNumber(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Some old tar writers summed signed chars; Python's tarfile accepts both, so do we.
  if (stored !== unsigned && stored !== signed) throw malformedTar('tar header checksum mismatch');
}

/** Decodes one header block; null for an all-zero block (the end-of-archive marker). */
export function parseTarHeader(block: Uint8Array): TarHeader | null {
  if (isZeroBlock(block)) return null;
  checkChecksum(block);
  let name = cString(block, 0, 100);
  const magic = latin1.decode(block.subarray(257, 263));
  // POSIX ustar splits long names into prefix/name; old GNU uses that area for other fields.
  if (magic === 'ustar\0') {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    linkName: cString(block, 157, 100),
    size: parseNumber(block, 124, 12, 'size'),
    type: String.fromCharCode(block[156]!),
  };
}

/** Records of a pax extended header (`<length> <key>=<value>\n`, the length in bytes). */
export function parsePaxRecords(body: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const space = body.indexOf(0x20, at);
    const length = space === -1 ? Number.NaN : Number(latin1.decode(body.subarray(at, space)));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > body.length) {
      throw malformedTar('malformed pax extended header (bad record length)');
    }
    if (body[at + length - 1] !== 0x0a) throw malformedTar('malformed pax record (no newline)');
    const keyValue = utf8.decode(body.subarray(space + 1, at + length - 1));
    const equals = keyValue.indexOf('=');
    if (equals === -1) throw malformedTar('malformed pax record (no "=")');
    records.set(keyValue.slice(0, equals), keyValue.slice(equals + 1));
    at += length;
  }
  return records;
}
