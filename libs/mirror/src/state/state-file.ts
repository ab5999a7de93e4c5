import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';

/**
 * A small JSON state object under `.condasync/state/`, or null when absent or unreadable: state
 * only saves work, so a damaged file must make a run do the work again, never stop it.
 */
export async function readStateJson(store: ObjectStore, key: string): Promise<unknown> {
  const object = await store.get(key);
  if (object === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Replaces the state object whole (every store's put is all-or-nothing). */
export async function writeStateJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value));
  await store.put(key, body, {
    size: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
}
