import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CondaError, type CondaErrorCode } from '../../src/errors.ts';
import {
  compareFilenames,
  type ParseRepodataOptions,
  parseRepodata,
  type RepodataEntry,
  type RepodataHeader,
  writeRepodata,
} from '../../src/repodata/index.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/conda-test-data');

export function fixture(relative: string): Buffer {
  return readFileSync(path.join(FIXTURES, relative));
}

/** Splits bytes into chunks whose sizes come from `sizes` (cycled). Each chunk is a fresh copy. */
export function* chunked(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length]!);
    yield bytes.slice(at, at + size);
    at += size;
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomSizes(seed: number, count: number, max: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => 1 + Math.floor(random() * max));
}

export interface Parsed {
  entries: RepodataEntry[];
  header: RepodataHeader;
}

/** Parses a whole document and keeps every entry and the header. */
export async function parseAll(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ParseRepodataOptions,
): Promise<Parsed> {
  const entries: RepodataEntry[] = [];
  const generator = parseRepodata(source, options);
  for (;;) {
    const step = await generator.next();
    if (step.done) return { entries, header: step.value };
    entries.push(step.value);
  }
}

export function parseBytes(bytes: Uint8Array | string, options: ParseRepodataOptions): Promise<Parsed> {
  return parseAll([typeof bytes === 'string' ? Buffer.from(bytes) : bytes], options);
}

/** Writes parsed entries as repodata.json bytes (entries are sorted here). */
export async function writeParsed(parsed: Parsed, subdir: string): Promise<Buffer> {
  const sorted = [...parsed.entries].sort((a, b) => compareFilenames(a.filename, b.filename));
  const chunks: Buffer[] = [];
  for await (const chunk of writeRepodata({
    subdir,
    info: parsed.header.info,
    removed: parsed.header.removed,
    packages: sorted.filter((entry) => entry.format === 'tar.bz2'),
    packagesConda: sorted.filter((entry) => entry.format === 'conda'),
  })) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Asserts that `promise` rejects with a CondaError of `code` whose message is or matches `message`. */
export async function assertCondaError(
  promise: Promise<unknown>,
  code: CondaErrorCode,
  message: string | RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CondaError, `expected a CondaError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}
