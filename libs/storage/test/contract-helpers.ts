import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type ObjectStore, StorageError, type StorageErrorCode } from '../src/index.ts';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bytes that differ per call, so a test can tell versions apart. */
export function payload(size: number): Buffer {
  return randomBytes(size);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Yields `bytes` in pieces of the given sizes (cycled), like a network body would arrive. */
export async function* chunked(
  bytes: Uint8Array,
  sizes: number[] = [7, 1000, 65536, 3],
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let index = 0; offset < bytes.byteLength; index++) {
    const size = sizes[index % sizes.length]!;
    yield bytes.subarray(offset, offset + size);
    offset += size;
    await Promise.resolve();
  }
}

/**
 * Sends all of `bytes`, then stalls before ending (or before sending `extra`). A store that
 * forwarded every byte before checking would let the backend commit during the pause.
 */
export async function* pauseBeforeEnd(bytes: Uint8Array, extra?: Uint8Array): AsyncGenerator<Uint8Array> {
  yield* chunked(bytes);
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (extra !== undefined) yield extra;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Asserts that `promise` rejects with a StorageError of `code` whose message mentions `mentions`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: StorageErrorCode,
  mentions: string[] = [],
): Promise<StorageError> {
  const error = await promise.then(
    () => assert.fail(`expected StorageError ${code}, but the call succeeded`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof StorageError, `expected StorageError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  for (const text of mentions)
    assert.ok(error.message.includes(text), `"${error.message}" should mention "${text}"`);
  return error;
}

/** Puts `bytes` at `key` with the right size and sha256, from a stream. */
export async function putBytes(store: ObjectStore, key: string, bytes: Uint8Array, contentType?: string) {
  return store.put(key, chunked(bytes), {
    size: bytes.byteLength,
    sha256: sha256(bytes),
    ...(contentType === undefined ? {} : { contentType }),
  });
}

export async function getBytes(store: ObjectStore, key: string): Promise<Buffer | null> {
  const result = await store.get(key);
  return result === null ? null : readAll(result.body);
}
