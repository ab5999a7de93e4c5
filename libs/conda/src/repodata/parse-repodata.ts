import { CondaError, CondaErrorCode } from '../errors.ts';
import { RepodataScanner, type ScanEvent } from './repodata-scanner.ts';
import { RecordSection, type RepodataEntry, type RepodataHeader } from './types.ts';
import { assertArtifactFilename, showValue, validateRepodataEntry } from './validate-record.ts';

export interface ParseRepodataOptions {
  /** The subdir this document was fetched for; `info.subdir` and each `record.subdir` must equal it. */
  subdir: string;
  /** Largest single record, in bytes of JSON (default 1 MiB; the largest real ones are a few KiB). */
  maxRecordBytes?: number;
  /** Largest top-level value other than the record maps, e.g. `info` or `removed` (default 64 MiB). */
  maxHeaderValueBytes?: number;
  /** Most records in one document (default 5,000,000; conda-forge linux-64 has about 500,000). */
  maxRecords?: number;
  /** Deepest nesting inside one value (default 64; real records nest 3 deep). */
  maxDepth?: number;
  /**
   * When given, a record that fails validation (INVALID_FILENAME, INVALID_RECORD, SUBDIR_MISMATCH
   * on the record) is passed here and skipped instead of failing the whole document.
   * Malformed JSON, limits, duplicates and a wrong `info.subdir` always throw.
   */
  onInvalidRecord?: (error: CondaError) => void;
}

const DEFAULTS = {
  maxRecordBytes: 1024 * 1024,
  maxHeaderValueBytes: 64 * 1024 * 1024,
  maxRecords: 5_000_000,
  maxDepth: 64,
};

const SKIPPABLE = new Set<string>([
  CondaErrorCode.InvalidFilename,
  CondaErrorCode.InvalidRecord,
  CondaErrorCode.SubdirMismatch,
]);

function parseJson(event: ScanEvent): unknown {
  try {
    return JSON.parse(event.text);
  } catch (cause) {
    // V8 reports "... at position N" within the value; add it to the value's own offset.
    const position = /position (\d+)/.exec(String((cause as Error).message))?.[1];
    const at = position === undefined ? event.offset : event.offset + Number(position);
    const what =
      event.role === 'record' ? `record "${event.key}" of "${event.section}"` : `value "${event.key}"`;
    throw new CondaError(
      CondaErrorCode.MalformedJson,
      `repodata is not valid JSON at byte ${at}: ${what}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

function invalidHeader(key: string, expected: string, value: unknown): CondaError {
  return new CondaError(
    CondaErrorCode.InvalidRecord,
    `repodata top-level "${key}" must be ${expected}, got ${showValue(value)}`,
  );
}

function applyHeaderValue(header: RepodataHeader, key: string, value: unknown, subdir: string): void {
  if (key === 'info') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidHeader('info', 'an object', value);
    }
    const info = value as Record<string, unknown>;
    if (info.subdir !== undefined && info.subdir !== subdir) {
      throw new CondaError(
        CondaErrorCode.SubdirMismatch,
        `repodata "info.subdir" must be "${subdir}" (the subdir being read), got ${showValue(info.subdir)}`,
      );
    }
    header.info = info;
  } else if (key === 'repodata_version') {
    if (value !== 1 && value !== 2) throw invalidHeader('repodata_version', '1 or 2', value);
    header.repodataVersion = value;
  } else if (key === 'removed') {
    if (!Array.isArray(value)) throw invalidHeader('removed', 'an array of package filenames', value);
    for (const filename of value) {
      try {
        assertArtifactFilename(filename);
      } catch (cause) {
        throw new CondaError(
          CondaErrorCode.InvalidFilename,
          `repodata "removed" lists an invalid filename: ${(cause as Error).message}`,
          { cause },
        );
      }
    }
    header.removed = value as string[];
  } else {
    // Own property even for "__proto__": `extra` has no prototype to pollute.
    Object.defineProperty(header.extra, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

/**
 * Streams a repodata document (an HTTP body or a file stream) and yields its validated records one
 * at a time, in document order, without holding the document as one string. The generator's
 * return value is the header (`info`, `repodata_version`, `removed`, unknown keys): use
 * `readRepodata` when you want it with a plain callback.
 *
 * A throw means the whole document is invalid: discard every entry already received. (`info` may
 * come after the records, so a wrong `info.subdir` can only be reported at the end.) An empty
 * document counts as `{}` (CEP 36). Duplicate keys at the top level or within a record map are
 * MALFORMED_JSON; inside a record the last duplicate wins, as in JSON.parse.
 */
export async function* parseRepodata(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ParseRepodataOptions,
): AsyncGenerator<RepodataEntry, RepodataHeader, undefined> {
  const { subdir, onInvalidRecord } = options;
  const maxRecords = options.maxRecords ?? DEFAULTS.maxRecords;
  const scanner = new RepodataScanner({
    maxRecordBytes: options.maxRecordBytes ?? DEFAULTS.maxRecordBytes,
    maxHeaderValueBytes: options.maxHeaderValueBytes ?? DEFAULTS.maxHeaderValueBytes,
    maxDepth: options.maxDepth ?? DEFAULTS.maxDepth,
  });
  const header: RepodataHeader = { info: {}, repodataVersion: 1, removed: [], extra: Object.create(null) };
  let records = 0;
  for await (const chunk of source) {
    scanner.push(chunk);
    for (let event = scanner.next(); event !== undefined; event = scanner.next()) {
      if (event.role === 'header') {
        applyHeaderValue(header, event.key, parseJson(event), subdir);
        continue;
      }
      if (event.role === 'ignored') {
        parseJson(event); // checked for syntax, then dropped
        continue;
      }
      if (++records > maxRecords) {
        throw new CondaError(
          CondaErrorCode.LimitExceeded,
          `repodata for "${subdir}" has more than ${maxRecords} records (at byte ${event.offset})`,
        );
      }
      const record = parseJson(event);
      let entry: RepodataEntry;
      try {
        entry = validateRepodataEntry(event.key, RecordSection[event.section], record, subdir);
      } catch (error) {
        if (onInvalidRecord === undefined || !(error instanceof CondaError) || !SKIPPABLE.has(error.code)) {
          throw error;
        }
        onInvalidRecord(error);
        continue;
      }
      yield entry;
    }
  }
  scanner.end();
  return header;
}

/**
 * Reads a whole repodata document, handing each validated record to `onEntry` (awaited, so it can
 * apply back-pressure), and resolves to the header. Same rules as `parseRepodata`.
 */
export async function readRepodata(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ParseRepodataOptions,
  onEntry: (entry: RepodataEntry) => void | Promise<void>,
): Promise<RepodataHeader> {
  const entries = parseRepodata(source, options);
  for (;;) {
    const step = await entries.next();
    if (step.done) return step.value;
    try {
      await onEntry(step.value);
    } catch (error) {
      // Closes the generator, which closes the source (e.g. aborts the HTTP body).
      await entries.throw(error).catch(() => undefined);
      throw error;
    }
  }
}

/** One record of a repodata document as it is written there. */
export interface RawRepodataRecord {
  filename: string;
  /** The record's JSON text, exactly as in the document. */
  text: string;
}

/**
 * Streams the records of a repodata document as raw JSON text, in document order, unparsed and
 * unvalidated (the document's structure and the limits are still checked; header values are
 * skipped). For comparing a document condasync wrote itself with new records: equal canonical
 * text is an equal record, and only the others need parsing. Never for upstream input.
 */
export async function* scanRepodataRecords(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: Pick<ParseRepodataOptions, 'maxRecordBytes' | 'maxHeaderValueBytes' | 'maxDepth'> = {},
): AsyncGenerator<RawRepodataRecord, void, undefined> {
  const scanner = new RepodataScanner({
    maxRecordBytes: options.maxRecordBytes ?? DEFAULTS.maxRecordBytes,
    maxHeaderValueBytes: options.maxHeaderValueBytes ?? DEFAULTS.maxHeaderValueBytes,
    maxDepth: options.maxDepth ?? DEFAULTS.maxDepth,
  });
  for await (const chunk of source) {
    scanner.push(chunk);
    for (let event = scanner.next(); event !== undefined; event = scanner.next()) {
      if (event.role === 'record') yield { filename: event.key, text: event.text };
    }
  }
  scanner.end();
}
