// FsObjectStore put rate for small objects, against a bare open + write + close per file, with an
// fsync each (`bare+fsync`) or one `sync -f` of the filesystem at the end (`bare+syncfs`, what the
// store's barrier does; its close() runs the last barrier and is timed). Bodies are streams (as a
// package download is), sized and hashed in advance.
//
//   node bench/store-put.bench.ts [--objects 4000] [--kib 10] [--concurrency 16] [--rounds 3]
//     [--dests /tmp,/dev/shm]
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { FsObjectStore } from '@condasync/storage';

const VARIANTS = ['bare+fsync', 'bare+syncfs', 'store', 'bare', 'store-nofsync'] as const;
type Variant = (typeof VARIANTS)[number];

interface Body {
  key: string;
  bytes: Buffer;
  sha256: string;
}

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

async function runVariant(
  variant: Variant,
  bodies: readonly Body[],
  dest: string,
  concurrency: number,
): Promise<number> {
  const root = await mkdtemp(path.join(dest, 'condasync-store-put-'));
  try {
    const started = performance.now();
    if (variant === 'bare' || variant === 'bare+fsync' || variant === 'bare+syncfs') {
      await mkdir(path.join(root, 'linux-64'));
      await pool(bodies, concurrency, async (body) => {
        const handle = await open(path.join(root, body.key), 'w');
        try {
          for await (const chunk of Readable.from([body.bytes])) await handle.write(chunk as Buffer);
          if (variant === 'bare+fsync') await handle.sync();
        } finally {
          await handle.close();
        }
      });
      if (variant === 'bare+syncfs') execFileSync('sync', ['-f', root]);
    } else {
      const store = new FsObjectStore({ root, fsync: variant === 'store' });
      await pool(bodies, concurrency, async (body) => {
        await store.put(body.key, Readable.from([body.bytes]), {
          size: body.bytes.byteLength,
          sha256: body.sha256,
        });
      });
      await store.close();
    }
    return (performance.now() - started) / 1000;
  } finally {
    await rm(root, { recursive: true, force: true });
    // Write back this run's dirty pages now, untimed, so they do not slow down the next run.
    execFileSync('sync');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      objects: { type: 'string', default: '4000' },
      kib: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '16' },
      rounds: { type: 'string', default: '3' },
      dests: { type: 'string', default: `${tmpdir()},/dev/shm` },
    },
  });
  const objects = Number(values.objects);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const size = Number(values.kib) * 1024;
  const dests = values.dests.split(',').filter((dest) => dest !== '');
  const bodies: Body[] = Array.from({ length: objects }, (_, i) => {
    const bytes = randomBytes(size);
    return {
      key: `linux-64/pkg-${i}-0.conda`,
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  });
  print(
    `node ${process.version}: ${objects} puts of ${values.kib} KiB, ${concurrency} in flight, ${rounds} rounds`,
  );
  const seconds = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const dest of dests) {
      for (const variant of VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length]!)) {
        const taken = await runVariant(variant, bodies, dest, concurrency);
        print(
          `${dest.padEnd(9)} r${round} ${variant.padEnd(13)} ${(objects / taken).toFixed(0).padStart(6)} puts/s`,
        );
        seconds.set(`${dest} ${variant}`, [...(seconds.get(`${dest} ${variant}`) ?? []), taken]);
      }
    }
  }
  print();
  print('| dest | variant | puts/s (median) | vs bare with the same fsync |');
  print('|---|---|---|---|');
  for (const dest of dests) {
    for (const variant of VARIANTS) {
      const mine = median(seconds.get(`${dest} ${variant}`)!);
      const bare = variant === 'store' ? 'bare+syncfs' : variant === 'store-nofsync' ? 'bare' : undefined;
      const ratio =
        bare === undefined ? '' : `${((median(seconds.get(`${dest} ${bare}`)!) / mine) * 100).toFixed(0)} %`;
      print(`| ${dest} | ${variant} | ${(objects / mine).toFixed(0)} | ${ratio} |`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
