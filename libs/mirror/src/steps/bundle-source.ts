import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TarEntryType, TarReader } from '@condasync/codecs';
import { BUNDLE_MANIFEST, parseBundleManifest } from './bundle-manifest.ts';

/** One member of a bundle as the importer reads it: its bytes are streamed, never held. */
export interface BundleEntry {
  path: string;
  size: number;
  body: () => AsyncIterable<Uint8Array>;
}

/** A real bundle's manifest is tens of MB at most (a 500 k-package channel); more is not one. */
const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

/** The members of a bundle tar, as they stream past (from a file, or stdin). */
export async function* tarBundleEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<BundleEntry> {
  const reader = new TarReader(source, { maxEntries: 50_000_000, maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
      // A bundle re-packed with `tar cf` may carry folder entries; they hold nothing.
      if (entry.type === TarEntryType.Directory) continue;
      const path = entry.type === TarEntryType.File ? entry.path : `${entry.path} (not a regular file)`;
      yield { path, size: entry.size, body: () => reader.bodyChunks() };
    }
  } finally {
    await reader.close();
  }
}

/** The members of an unpacked bundle folder: the manifest, then the files it lists that exist. */
export async function* folderBundleEntries(dir: string): AsyncGenerator<BundleEntry> {
  const manifestBytes = await readFile(join(dir, BUNDLE_MANIFEST));
  yield {
    path: BUNDLE_MANIFEST,
    size: manifestBytes.byteLength,
    body: async function* () {
      yield manifestBytes;
    },
  };
  for (const member of parseBundleManifest(manifestBytes).members) {
    const file = join(dir, member.path);
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) continue; // reported as missing by the importer
    yield { path: member.path, size: info.size, body: () => createReadStream(file) };
  }
}

/** The manifest entry's bytes, capped. */
export async function readManifestEntry(entry: BundleEntry): Promise<Uint8Array> {
  if (entry.size > MAX_MANIFEST_BYTES)
    throw new Error(`the manifest is ${entry.size} bytes, more than any bundle has`);
  const parts: Uint8Array[] = [];
  for await (const chunk of entry.body()) parts.push(chunk);
  return Buffer.concat(parts);
}
