// Web page latency on a conda-forge-sized subdir: a synthetic linux-64 of 500 k records (~600 B,
// ~35 k names, skewed like conda-forge) plus a 100 k-record noarch, published into a folder store.
//
//   node bench/web-pages.bench.ts [--records 500000] [--names 35000] [--rounds 20]
//
// Phases:
//   index     writeBrowseIndex over the records as finalize holds them (canonical JSON strings):
//             what the finalize hook adds to a sync, with the sizes it writes;
//   pages     the API (buildApp, a real Redis started here) listening on loopback, asked over HTTP
//             with `Accept: text/html` like a browser: each page `--rounds` times, the first
//             request after start-up (which loads the index) reported apart.
// Needs `redis-server` on PATH (the API's sync registry; the channel pages do not use it).
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, loadApiConfig } from '@condasync/api';
import { canonicalRecordJson, parseRepodata } from '@condasync/conda';
import { readBrowseIndex, writeBrowseIndex } from '@condasync/mirror';
import { FsObjectStore } from '@condasync/storage';
import { startRestartableRedis } from '../test/support/restartable-redis.ts';
import { argument, cpuSeconds, peakRssMiB, print } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const CHANNEL = 'bench-forge';
const records = Number(argument('records', '500000'));
const names = Number(argument('names', '35000'));
const rounds = Number(argument('rounds', '20'));

async function heldRecords(file: string, subdir: string) {
  const held: Array<{ filename: string; json: string }> = [];
  for await (const entry of parseRepodata(createReadStream(file, { highWaterMark: 1 << 20 }), { subdir })) {
    held.push({ filename: entry.filename, json: canonicalRecordJson(entry.record) });
  }
  return held;
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'condasync-web-bench-'));
  const redis = await startRestartableRedis({ appendfsync: 'everysec' });
  const store = new FsObjectStore({ root: path.join(dir, 'store') });
  try {
    print(`web pages: ${records} linux-64 records, ${names} names, ${rounds} rounds per page`);
    for (const [subdir, count, nameCount] of [
      ['linux-64', records, names],
      ['noarch', Math.round(records / 5), Math.round(names / 2)],
    ] as const) {
      const file = path.join(dir, `${subdir}.json`);
      await writeSyntheticRepodata(file, { count, nameCount, subdir, namePopularity: 'skewed' });
      const held = await heldRecords(file, subdir);
      const wall = performance.now();
      const cpu = cpuSeconds();
      const summary = await writeBrowseIndex(
        { channelPrefix: `${CHANNEL}/`, subdir, entries: held, repodataSha256: 'f'.repeat(64) },
        { store },
      );
      const seconds = (performance.now() - wall) / 1000;
      const sizes: string[] = [];
      for await (const info of store.list(`.condasync/browse/${CHANNEL}/${subdir}/`)) {
        sizes.push(`${path.basename(info.key)} ${(info.size / 2 ** 20).toFixed(1)} MiB`);
      }
      print(
        `index ${subdir}: ${summary?.records} records, ${summary?.names} names: ${seconds.toFixed(2)} s wall, ` +
          `${(cpuSeconds() - cpu).toFixed(2)} s CPU; ${sizes.join(', ')}`,
      );
    }

    // The name with the most records (skewed popularity: hundreds) makes the heaviest package page.
    const { index } = (await readBrowseIndex(store, CHANNEL, 'linux-64'))!;
    const perName = new Map<number, number>();
    for (const id of index.name) perName.set(id, (perName.get(id) ?? 0) + 1);
    const [popularId, popularCount] = [...perName].sort((a, b) => b[1] - a[1])[0]!;
    const popular = index.names[popularId]!;

    const app = buildApp({
      config: loadApiConfig({ CONDASYNC_REDIS_URL: redis.url, CONDASYNC_STORAGE_URL: `file://${dir}/store` }),
      store,
      logger: false,
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const get = async (url: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${base}${url}`, { headers: { accept: 'text/html' } });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}: ${body.slice(0, 200)}`);
      return performance.now() - started;
    };
    const pages: Array<[string, string]> = [
      ['channel list /', '/'],
      ['channel page', `/conda/${CHANNEL}/`],
      ['search name substring', `/conda/${CHANNEL}/?q=lib`],
      ['search name glob', `/conda/${CHANNEL}/?q=py*`],
      ['search version + platform', `/conda/${CHANNEL}/?version=1.*&platform=linux-64`],
      ['search license', `/conda/${CHANNEL}/?license=gpl`],
      ['last page', `/conda/${CHANNEL}/?page=100000`],
      [`package page (${popularCount} files)`, `/conda/${CHANNEL}/-/packages/${encodeURIComponent(popular)}`],
    ];
    print(
      `first channel page after start-up (loads both indexes): ${(await get(pages[1]![1])).toFixed(0)} ms`,
    );
    print('| page | median ms | p95 ms | max ms |');
    print('| --- | --- | --- | --- |');
    for (const [label, url] of pages) {
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        times.push(await get(url));
      }
      times.sort((a, b) => a - b);
      print(
        `| ${label} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.95).toFixed(1)} | ${(times.at(-1) as number).toFixed(1)} |`,
      );
    }
    print(`peak RSS ${peakRssMiB().toFixed(0)} MiB (generator, held records, index and API in one process)`);
    await app.close();
  } finally {
    await store.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
