import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';

/** sha256 (hex) of a stored object's bytes, or null when it is absent. Used by `verify_checksum`. */
export async function hashStoredObject(store: ObjectStore, key: string): Promise<string | null> {
  const object = await store.get(key);
  if (object === null) return null;
  const hash = createHash('sha256');
  for await (const chunk of object.body) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
