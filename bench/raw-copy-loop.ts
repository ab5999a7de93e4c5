// The physical-limit baseline of docs/design.md §9: the simplest loop that fetches files over HTTP with
// undici, hashes them with sha256 while streaming, and writes them to disk, N requests at a time.
// No retries, no temp files, no renames, no metadata: whatever condasync costs above this is ours.
// With `syncAtEnd` it is the durable floor: every file written, then one `sync -f` of the
// filesystem makes them all durable together (what a store that batches its durability can reach).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';

export interface RawFile {
  /** Channel-relative path, `<subdir>/<filename>`. */
  relPath: string;
  size: number;
  sha256: string;
}

export interface RawCopyOptions {
  /** Channel URL without a trailing slash. */
  baseUrl: string;
  files: readonly RawFile[];
  /** Where the files land, as `<outDir>/<relPath>`. */
  outDir: string;
  concurrency: number;
  /** fsync each file before closing it (what a store that promises durability must pay). */
  fsync: boolean;
  /** false: read and hash the body but write nothing (warms up the upstream and the page cache). */
  write?: boolean;
  /** Run `sync -f <outDir>` (syncfs: one flush of the filesystem) once every file is written. */
  syncAtEnd?: boolean;
}

export interface RawCopyResult {
  files: number;
  bytes: number;
}

/** Copies every file; throws on the first HTTP error or sha256 mismatch. */
export async function rawCopyLoop(options: RawCopyOptions): Promise<RawCopyResult> {
  const write = options.write ?? true;
  const agent = new Agent({ connections: options.concurrency });
  if (write) {
    const folders = new Set(
      options.files.map((file) => path.dirname(path.join(options.outDir, file.relPath))),
    );
    for (const folder of folders) await mkdir(folder, { recursive: true });
  }
  let next = 0;
  let bytes = 0;
  const lane = async (): Promise<void> => {
    while (next < options.files.length) {
      const file = options.files[next++]!;
      const response = await request(`${options.baseUrl}/${file.relPath}`, { dispatcher: agent });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`${file.relPath}: HTTP ${response.statusCode}`);
      }
      const hash = createHash('sha256');
      const handle = write ? await open(path.join(options.outDir, file.relPath), 'w') : undefined;
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          if (handle !== undefined) {
            for (let offset = 0; offset < chunk.byteLength; ) {
              offset += (await handle.write(chunk, offset)).bytesWritten;
            }
          }
        }
        if (handle !== undefined && options.fsync) await handle.sync();
      } finally {
        await handle?.close();
      }
      const actual = hash.digest('hex');
      if (actual !== file.sha256)
        throw new Error(`${file.relPath}: sha256 ${actual}, expected ${file.sha256}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    await agent.close();
  }
  if (write && options.syncAtEnd === true) await promisify(execFile)('sync', ['-f', options.outDir]);
  return { files: options.files.length, bytes };
}
