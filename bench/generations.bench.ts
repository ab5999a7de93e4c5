// Cost of recording a metadata generation (docs/design.md §5) for a synthetic conda-forge-sized
// subdir (500 k records), against what snapshotting the JSON would cost instead.
//
//   node bench/generations.bench.ts [--records 500000] [--rounds 3] [--dir /tmp]
//
// A filesystem store gets `ch/linux-64/repodata.json` and its `.zst` once (not measured). Then, in
// rounds, in an order that rotates each round:
//   record-copy   recordGeneration when the subdir changed: the .zst is copied in the store (a hard link)
//   record-noop   recordGeneration when nothing changed: a few HEADs, nothing written
//   put-zst       reference: streaming the .zst into the store (a store without in-store copy)
//   put-json      reference: streaming the JSON into the store (what keeping the JSON would cost)
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { compressZstd } from '@condasync/conda';
import { blobKeyOf, recordGeneration, silentLogger } from '@condasync/mirror';
import { FsObjectStore } from '@condasync/storage';
import { argument, print } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const records = Number(argument('records', '500000'));
const rounds = Number(argument('rounds', '3'));
const root = mkdtempSync(path.join(argument('dir', '/tmp'), 'condasync-generations-bench-'));

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function main(): Promise<void> {
  print(`load average before: ${loadavg()[0]!.toFixed(2)}`);
  const scratch = path.join(root, 'scratch');
  mkdirSync(scratch, { recursive: true });
  const json = path.join(scratch, 'repodata.json');
  const written = await writeSyntheticRepodata(json, { count: records });
  const zst = `${json}.zst`;
  await pipeline(compressZstd(createReadStream(json)), createWriteStream(zst));
  const files = {
    json: { path: json, size: statSync(json).size, sha256: await hashFile(json) },
    zst: { path: zst, size: statSync(zst).size, sha256: await hashFile(zst) },
  };
  print(
    `${written} records: repodata.json ${(files.json.size / 2 ** 20).toFixed(1)} MiB, .zst ${(files.zst.size / 2 ** 20).toFixed(1)} MiB`,
  );

  const store = new FsObjectStore({ root: path.join(root, 'store') });
  const put = (key: string, file: { path: string; size: number; sha256: string }) =>
    store.put(key, createReadStream(file.path), { size: file.size, sha256: file.sha256 });
  await put('ch/linux-64/repodata.json.zst', files.zst);
  await put('ch/linux-64/repodata.json', files.json);
  const ctx = { store, channelPrefix: 'ch/', logger: silentLogger };
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const tick = (): number => {
    clock += 1000;
    return clock;
  };
  let flip = 0;

  const variants: Record<string, () => Promise<void>> = {
    'record-copy': async () => {
      // A changed subdir: its .zst is not kept yet, and the state differs from the current generation.
      await store.delete(blobKeyOf(ctx, files.zst.sha256));
      const body = Buffer.from(`{"flip":${flip++}}`);
      await store.put('ch/channeldata.json', body, {
        size: body.byteLength,
        sha256: createHash('sha256').update(body).digest('hex'),
      });
      const result = await recordGeneration(ctx, {
        source: 'bench',
        now: tick(),
        graceMs: 3_600_000,
      });
      if (!result.created) throw new Error('record-copy recorded nothing');
    },
    'record-noop': async () => {
      const result = await recordGeneration(ctx, {
        source: 'bench',
        now: tick(),
        graceMs: 3_600_000,
      });
      if (result.created) throw new Error('record-noop recorded a generation');
    },
    'put-zst': async () => {
      await put('bench/copy.zst', files.zst);
    },
    'put-json': async () => {
      await put('bench/copy.json', files.json);
    },
  };
  await variants['record-copy']!();
  const names = Object.keys(variants);
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      const started = performance.now();
      await variants[name]!();
      times.get(name)!.push(performance.now() - started);
    }
  }
  for (const [name, ms] of times) {
    const sorted = [...ms].sort((a, b) => a - b);
    print(
      `${name.padEnd(12)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms  (${ms.map((m) => m.toFixed(1)).join(', ')})`,
    );
  }
  await store.close();
  print(`load average after: ${loadavg()[0]!.toFixed(2)}`);
}

try {
  await main();
} finally {
  rmSync(root, { recursive: true, force: true });
}
