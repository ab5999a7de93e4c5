import { Buffer, isAscii } from 'node:buffer';
import { CondaError, CondaErrorCode } from '../errors.ts';
import { isJsonWhitespace, JsonValueCapture, NEED_MORE, TOO_DEEP } from './json-value-capture.ts';
import type { RecordSectionKey } from './types.ts';

/**
 * What the scanner found: a record under `packages`/`packages.conda`, a top-level header value, or
 * a value inside `signatures`/`v3` that is checked for JSON syntax and then dropped. `text` is the
 * value's raw JSON (never the whole document); `offset` is its first byte in the document.
 */
export type ScanEvent =
  | { role: 'record'; section: RecordSectionKey; key: string; text: string; offset: number }
  | { role: 'header'; key: string; text: string; offset: number }
  | { role: 'ignored'; key: string; text: string; offset: number };

export interface ScannerLimits {
  maxRecordBytes: number;
  maxHeaderValueBytes: number;
  maxDepth: number;
}

/** Object keys are filenames or top-level names; anything longer is hostile. */
const MAX_KEY_BYTES = 4096;

const State = {
  BeforeDocument: 0,
  KeyOrEnd: 1,
  Key: 2,
  InKey: 3,
  Colon: 4,
  Value: 5,
  InValue: 6,
  CommaOrEnd: 7,
  AfterDocument: 8,
} as const;
type State = (typeof State)[keyof typeof State];

/** What an object's member values are: records, header values, or values to check and drop. */
const Role = { Top: 0, Section: 1, Discard: 2, DiscardNested: 3 } as const;
type Role = (typeof Role)[keyof typeof Role];

interface Frame {
  role: Role;
  /** Name used in error messages, e.g. `packages.conda` or `v3.conda`. */
  label: string;
  /** Keys seen so far, to reject duplicates where a duplicate would be ambiguous. */
  keys: Set<string> | undefined;
  section: RecordSectionKey | undefined;
}

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

function malformed(offset: number, what: string, cause?: unknown): CondaError {
  return new CondaError(
    CondaErrorCode.MalformedJson,
    `repodata is not valid JSON at byte ${offset}: ${what}`,
    {
      cause,
    },
  );
}

/**
 * Incremental byte scanner for a repodata document. It checks the document's structure byte by
 * byte across chunk boundaries and cuts out one record (or one header value) at a time, so the
 * document is never held as one string. Values are only delimited here; the caller JSON.parses
 * each `text`, which is what checks their syntax.
 *
 * Use: `push(chunk)`, then call `next()` until it returns undefined, repeat; `end()` at EOF.
 */
export class RepodataScanner {
  readonly #limits: ScannerLimits;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  #state: State = State.BeforeDocument;
  readonly #frames: Frame[] = [];
  #chunk: Buffer = Buffer.alloc(0);
  /** Whether `#chunk` is all ASCII (then its keys and values need no UTF-8 decoding). */
  #chunkIsAscii = true;
  /** Absolute offset of `#chunk[0]` in the document. */
  #chunkOffset = 0;
  #pos = 0;
  /** The last key read: the name of the value being read. */
  #key = '';
  readonly #keyCapture = new JsonValueCapture();
  readonly #valueCapture = new JsonValueCapture();
  #valueRole: ScanEvent['role'] = 'header';
  #valueLimit = 0;

  constructor(limits: ScannerLimits) {
    this.#limits = limits;
  }

  /** Hands the scanner the next chunk. The previous chunk must have been drained with `next()`. */
  push(chunk: Uint8Array): void {
    this.#chunkOffset += this.#chunk.length;
    this.#chunk = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#chunkIsAscii = isAscii(chunk);
    this.#pos = 0;
    this.#keyCapture.rebase();
    this.#valueCapture.rebase();
  }

  /** Returns the next complete record or value, or undefined when the current chunk is used up. */
  next(): ScanEvent | undefined {
    const buf = this.#chunk;
    const n = buf.length;
    let i = this.#pos;
    while (i < n) {
      if (this.#state === State.InValue) {
        const end = this.#valueCapture.scan(buf, i, n, this.#limits.maxDepth);
        if (end === NEED_MORE) break;
        if (end === TOO_DEEP) {
          const at = this.#chunkOffset + this.#valueCapture.failedAt;
          throw new CondaError(
            CondaErrorCode.LimitExceeded,
            `${this.#describeValue()} nests deeper than ${this.#limits.maxDepth} levels (at byte ${at})`,
          );
        }
        this.#pos = end;
        return this.#finishValue(end);
      }
      if (this.#state === State.InKey) {
        const end = this.#keyCapture.scan(buf, i, n, 0);
        if (end === NEED_MORE) break;
        this.#finishKey(end);
        i = end;
        continue;
      }
      const b = buf[i]!;
      i = isJsonWhitespace(b) ? i + 1 : this.#structural(b, i);
    }
    this.#pos = n;
    this.#checkSize(this.#keyCapture, MAX_KEY_BYTES, n);
    this.#checkSize(this.#valueCapture, this.#valueLimit, n);
    if (this.#state === State.InKey) this.#keyCapture.carry(buf);
    if (this.#state === State.InValue) this.#valueCapture.carry(buf);
    return undefined;
  }

  /** Declares end of input. Throws MALFORMED_JSON if the document is incomplete. */
  end(): void {
    if (this.#state === State.BeforeDocument || this.#state === State.AfterDocument) return;
    const where =
      this.#state === State.InValue && this.#valueRole === 'record'
        ? `inside record "${this.#key}" of "${this.#frames.at(-1)?.label}"`
        : `inside "${this.#frames.at(-1)?.label}"`;
    throw malformed(
      this.#chunkOffset + this.#chunk.length,
      `unexpected end of input ${where}; the document is truncated`,
    );
  }

  #structural(b: number, i: number): number {
    const at = this.#chunkOffset + i;
    switch (this.#state) {
      case State.BeforeDocument:
        if (b !== OPEN_BRACE)
          throw malformed(at, `expected '{' to open the document, got ${describeByte(b)}`);
        return this.#pushFrame(
          { role: Role.Top, label: 'top level', keys: new Set(), section: undefined },
          i,
        );
      case State.KeyOrEnd:
        if (b === CLOSE_BRACE) return this.#closeObject(i);
        return this.#openKey(b, i);
      case State.Key:
        return this.#openKey(b, i);
      case State.Colon:
        if (b !== COLON) throw malformed(at, `expected ':' after key "${this.#key}", got ${describeByte(b)}`);
        this.#state = State.Value;
        return i + 1;
      case State.Value:
        return this.#openValue(b, i);
      case State.CommaOrEnd:
        if (b === COMMA) {
          this.#state = State.Key;
          return i + 1;
        }
        if (b === CLOSE_BRACE) return this.#closeObject(i);
        throw malformed(at, `expected ',' or '}' in "${this.#frames.at(-1)?.label}", got ${describeByte(b)}`);
      default:
        throw malformed(at, `unexpected ${describeByte(b)} after the end of the document`);
    }
  }

  #openKey(b: number, i: number): number {
    if (b !== QUOTE) {
      throw malformed(
        this.#chunkOffset + i,
        `expected '"' to start a key in "${this.#frames.at(-1)?.label}", got ${describeByte(b)}`,
      );
    }
    this.#keyCapture.begin(b, i, this.#chunkOffset + i);
    this.#state = State.InKey;
    return i + 1;
  }

  #finishKey(end: number): void {
    this.#checkSize(this.#keyCapture, MAX_KEY_BYTES, end);
    const offset = this.#keyCapture.offset;
    let key = this.#keyCapture.plainKey(this.#chunk, this.#chunkIsAscii, end);
    if (key === undefined) {
      try {
        key = JSON.parse(this.#decoder.decode(this.#keyCapture.bytes(this.#chunk, end))) as string;
      } catch (cause) {
        throw malformed(offset, 'invalid key (bad UTF-8, control character or escape sequence)', cause);
      }
    }
    const frame = this.#frames.at(-1)!;
    if (frame.keys !== undefined) {
      if (frame.keys.has(key)) throw malformed(offset, `duplicate key "${key}" in "${frame.label}"`);
      frame.keys.add(key);
    }
    this.#key = key;
    this.#state = State.Colon;
  }

  /** Decides by the enclosing object and the key what a value is: a record map, a record, a header value... */
  #openValue(b: number, i: number): number {
    const frame = this.#frames.at(-1)!;
    const key = this.#key;
    const isObject = b === OPEN_BRACE;
    if (frame.role === Role.Top) {
      if (key === 'packages' || key === 'packages.conda') {
        if (!isObject) {
          throw new CondaError(
            CondaErrorCode.InvalidRecord,
            `repodata "${key}" at byte ${this.#chunkOffset + i} must be an object of filename → record, got ${describeByte(b)}`,
          );
        }
        return this.#pushFrame({ role: Role.Section, label: key, keys: new Set(), section: key }, i);
      }
      if ((key === 'v3' || key === 'signatures') && isObject) {
        const role = key === 'v3' ? Role.DiscardNested : Role.Discard;
        return this.#pushFrame({ role, label: key, keys: undefined, section: undefined }, i);
      }
      const role = key === 'v3' || key === 'signatures' ? 'ignored' : 'header';
      return this.#beginValue(b, i, role, this.#limits.maxHeaderValueBytes);
    }
    if (frame.role === Role.Section) {
      if (!isObject) {
        throw new CondaError(
          CondaErrorCode.InvalidRecord,
          `repodata "${frame.label}" entry "${key}" at byte ${this.#chunkOffset + i}: the record must be an object, got ${describeByte(b)}`,
        );
      }
      return this.#beginValue(b, i, 'record', this.#limits.maxRecordBytes);
    }
    if (frame.role === Role.DiscardNested && isObject) {
      const label = `${frame.label}.${key}`;
      return this.#pushFrame({ role: Role.Discard, label, keys: undefined, section: undefined }, i);
    }
    return this.#beginValue(b, i, 'ignored', this.#limits.maxRecordBytes);
  }

  #beginValue(b: number, i: number, role: ScanEvent['role'], limit: number): number {
    if (!this.#valueCapture.begin(b, i, this.#chunkOffset + i)) {
      throw malformed(
        this.#chunkOffset + i,
        `expected a value for key "${this.#key}", got ${describeByte(b)}`,
      );
    }
    this.#valueRole = role;
    this.#valueLimit = limit;
    this.#state = State.InValue;
    return i + 1;
  }

  #pushFrame(frame: Frame, i: number): number {
    this.#frames.push(frame);
    this.#state = State.KeyOrEnd;
    return i + 1;
  }

  #closeObject(i: number): number {
    this.#frames.pop();
    this.#state = this.#frames.length === 0 ? State.AfterDocument : State.CommaOrEnd;
    return i + 1;
  }

  #finishValue(end: number): ScanEvent {
    this.#checkSize(this.#valueCapture, this.#valueLimit, end);
    const offset = this.#valueCapture.offset;
    let text: string;
    try {
      text = this.#valueCapture.text(this.#chunk, this.#chunkIsAscii, end, this.#decoder);
    } catch (cause) {
      throw malformed(offset, `${this.#describeValue()} is not valid UTF-8`, cause);
    }
    this.#state = State.CommaOrEnd;
    const key = this.#key;
    const frame = this.#frames.at(-1)!;
    if (this.#valueRole === 'record') return { role: 'record', section: frame.section!, key, text, offset };
    if (this.#valueRole === 'header') return { role: 'header', key, text, offset };
    return { role: 'ignored', key: frame.role === Role.Top ? key : `${frame.label}.${key}`, text, offset };
  }

  /** Enforces a byte cap on the key or value being read, as soon as a chunk shows it is exceeded. */
  #checkSize(capture: JsonValueCapture, limit: number, end: number): void {
    const active = capture === this.#keyCapture ? State.InKey : State.InValue;
    if (this.#state !== active || capture.size(end) <= limit) return;
    if (capture === this.#keyCapture) {
      throw new CondaError(
        CondaErrorCode.LimitExceeded,
        `repodata key at byte ${capture.offset} is longer than ${MAX_KEY_BYTES} bytes`,
      );
    }
    throw new CondaError(
      CondaErrorCode.LimitExceeded,
      `${this.#describeValue()} at byte ${capture.offset} is larger than the limit of ${limit} bytes`,
    );
  }

  #describeValue(): string {
    const frame = this.#frames.at(-1);
    if (this.#valueRole === 'record') return `repodata "${frame?.label}" record "${this.#key}"`;
    if (frame?.role === Role.Top) return `repodata top-level value "${this.#key}"`;
    return `repodata value "${frame?.label}.${this.#key}"`;
  }
}
