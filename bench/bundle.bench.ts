// Air-gap bundle round trip: `export` (store → tar file) and `import` (tar file → another store,
// verified) against `tar -c` / `tar -x` of the same folder, with the process's peak RSS, to show
// that members stream (RSS stays flat however large the bundle).
//
//   node bench/bundle.bench.ts [--packages 8] [--mib 128]
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import {
  bundleChunks,
  fullBundleManifest,
  importBundle,
  silentLogger,
  tarBundleEntries,
} from '@condasync/mirror';
import { FsObjectStore } from '@condasync/storage';

const { values } = parseArgs({ options: { packages: { type: 'string' }, mib: { type: 'string' } } });
const packages = Number(values.packages ?? 8);
const mib = Number(values.mib ?? 128);

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function timed(label: string, bytes: number, work: () => Promise<void> | void): Promise<void> {
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  print(
    `${label.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s  ${(bytes / 2 ** 20 / seconds).toFixed(0).padStart(5)} MiB/s  peak RSS ${rss.toFixed(0)} MiB`,
  );
}

const dir = await mkdtemp(path.join(tmpdir(), 'bundle-bench-'));
try {
  const source = new FsObjectStore({ root: path.join(dir, 'a') });
  const records: Record<string, unknown> = {};
  // One chunk reused: the bench measures bundling, not random-number generation.
  const chunk = randomBytes(2 ** 20);
  for (let i = 0; i < packages; i++) {
    const filename = `big${i}-1.0-0.conda`;
    const body = Buffer.concat([Buffer.from(`${i}`), chunk.subarray(1)]);
    const hash = createHash('sha256');
    for (let m = 0; m < mib; m++) hash.update(body);
    const sha256 = hash.digest('hex');
    const size = mib * body.byteLength;
    await source.put(
      `noarch/${filename}`,
      Readable.from(
        (function* () {
          for (let m = 0; m < mib; m++) yield body;
        })(),
      ),
      { size, sha256 },
    );
    records[filename] = {
      name: `big${i}`,
      version: '1.0',
      build: '0',
      build_number: 0,
      depends: [],
      size,
      sha256,
      subdir: 'noarch',
    };
  }
  const repodata = Buffer.from(
    JSON.stringify({
      info: { subdir: 'noarch' },
      packages: {},
      'packages.conda': records,
      removed: [],
      repodata_version: 1,
    }),
  );
  await source.put('noarch/repodata.json', repodata, {
    size: repodata.byteLength,
    sha256: createHash('sha256').update(repodata).digest('hex'),
  });
  const total = packages * mib * 2 ** 20;
  print(
    `bundle of ${packages} packages × ${mib} MiB = ${(total / 2 ** 30).toFixed(2)} GiB (page cache warm)`,
  );

  const bundle = path.join(dir, 'bundle.tar');
  await timed('condasync export (store → tar)', total, async () => {
    const manifest = await fullBundleManifest(source, '', 'bench');
    await pipeline(Readable.from(bundleChunks(source, '', manifest)), createWriteStream(bundle));
  });
  await timed('tar -c (same files)', total, () => {
    execFileSync('tar', ['-cf', path.join(dir, 'plain.tar'), '-C', path.join(dir, 'a'), 'noarch']);
  });
  const target = new FsObjectStore({ root: path.join(dir, 'b') });
  await timed('condasync import (tar → store)', total, async () => {
    await importBundle(tarBundleEntries(createReadStream(bundle)), {
      store: target,
      channelPrefix: '',
      logger: silentLogger,
    });
  });
  execFileSync('mkdir', [path.join(dir, 'c')]);
  await timed('tar -x (no verification)', total, () => {
    execFileSync('tar', ['-xf', path.join(dir, 'plain.tar'), '-C', path.join(dir, 'c')]);
  });
  print(`bundle file ${(await stat(bundle)).size} bytes`);
  await source.close();
  await target.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
