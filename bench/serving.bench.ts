// Channel serving against nginx on the same files: requests per second for a repodata 200, a
// repodata 304 (If-None-Match) and a package GET, 50 connections, wrk.
//
//   node bench/serving.bench.ts [--seconds 5] [--rounds 2] [--connections 50] [--package-kib 32]
//
// Servers, all on loopback, asked in turn within each round (so load on the shared machine hits
// every variant alike):
//   nginx        Debian's nginx over a folder copy of the channel (sendfile, etag, no access log);
//   api          the API (buildApp, listening) over moto's S3, with Redis, as deployed: metadata
//                and packages up to 8 MiB cached;
//   api-nocache  the same with CONDASYNC_METADATA_CACHE_BYTES=0 and CONDASYNC_PACKAGE_CACHE_BYTES=0:
//                every request asks the store, as before the caches;
//   api-redirect packages as a 302 to a presigned URL (CONDASYNC_PACKAGE_DELIVERY=redirect): the
//                figure is the API's share; the client then GETs from the store;
//   serve        `condasync serve` (buildChannelServer) over the folder copy;
//   serve-stream the same with the package cache off (packageCacheBytes 0): packages streamed from
//                the folder, as before the package cache (package case only).
// Needs nginx, wrk and redis-server (the bench installs nginx and wrk with apt-get when root), and
// moto_server from the repo's .venv.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildApp, buildChannelServer, loadApiConfig } from '@condasync/api';
import { FsObjectStore, type ObjectStore, openConfiguredStore } from '@condasync/storage';
import type { FastifyInstance } from 'fastify';
import { freePort, startRestartableRedis } from '../test/support/restartable-redis.ts';
import { argument, print } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.join(import.meta.dirname, '..');
const CHANNEL = 'bench';
const PACKAGE = 'benchpkg-1.0-0.conda';
const seconds = Number(argument('seconds', '5'));
const rounds = Number(argument('rounds', '2'));
const connections = Number(argument('connections', '50'));
const packageKiB = Number(argument('package-kib', '32'));
const AWS = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench-secret' };

/** Installs nginx and wrk from Debian when missing (root only), else says the command. */
function ensureTools(): void {
  const missing = ['nginx', 'wrk'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0)
    throw new Error(`this bench needs ${missing.join(' and ')}: run 'sudo ${command}'`);
  print(`installing ${missing.join(' ')} with apt-get`);
  // Debian's policy-rc.d convention: do not start nginx as a system service on install.
  const installed = spawnSync(
    'sh',
    [
      '-c',
      `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && ${command}; s=$?; rm -f /usr/sbin/policy-rc.d; exit $s`,
    ],
    { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
  );
  if (installed.status !== 0) throw new Error(`'${command}' failed`);
}

async function startMoto(dir: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    path.join(REPO_ROOT, '.venv/bin/moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const created = await fetch(`${endpoint}/${CHANNEL}-bucket`, { method: 'PUT' }).catch(() => null);
    if (created?.ok) break;
    if (attempt > 100) throw new Error('moto_server did not start within 25 s');
    await sleep(250);
  }
  return {
    endpoint,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function startNginx(dir: string, root: string): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const config = path.join(dir, 'nginx.conf');
  await writeFile(
    config,
    `daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/nginx-tmp;
  proxy_temp_path ${dir}/nginx-tmp;
  fastcgi_temp_path ${dir}/nginx-tmp;
  uwsgi_temp_path ${dir}/nginx-tmp;
  scgi_temp_path ${dir}/nginx-tmp;
  types { application/json json; application/octet-stream conda; }
  server {
    listen 127.0.0.1:${port};
    location /conda/ { alias ${root}/; etag on; }
  }
}
`,
  );
  const child = spawn('nginx', ['-c', config, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}/conda`;
  for (let attempt = 0; ; attempt++) {
    if ((await fetch(`${url}/${CHANNEL}/linux-64/repodata.json`).catch(() => null))?.ok) break;
    if (attempt > 40) {
      child.kill('SIGQUIT');
      const log = await readFile(path.join(dir, 'nginx-error.log'), 'utf8').catch(() => '');
      throw new Error(`nginx did not start within 10 s: ${log}`);
    }
    await sleep(250);
  }
  return { url, stop: () => child.kill('SIGQUIT') };
}

/** The same files into a store: repodata (about 5 KB, as a small channel's), its .zst twin and a package. */
async function publish(store: ObjectStore, files: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [key, bytes] of files) {
    await store.put(key, bytes, {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
}

async function benchFiles(dir: string): Promise<Map<string, Buffer>> {
  const repodata = path.join(dir, 'repodata.json');
  await writeSyntheticRepodata(repodata, { count: 8, nameCount: 4, subdir: 'linux-64' });
  return new Map([
    [`${CHANNEL}/linux-64/repodata.json`, await readFile(repodata)],
    [`${CHANNEL}/linux-64/${PACKAGE}`, randomBytes(packageKiB * 1024)],
  ]);
}

interface Target {
  name: string;
  /** Base URL up to and including `/conda`. */
  url: string;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}/conda`;
}

/** wrk in a child process, awaited without blocking: the API under test runs in this process. */
async function wrk(url: string, headers: Record<string, string>): Promise<number> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const run = await execFileAsync('wrk', [...args, url], { encoding: 'utf8' });
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  if (match === null) throw new Error(`wrk failed: ${run.stdout}${run.stderr}`);
  if (/Non-2xx or 3xx responses/.test(run.stdout)) throw new Error(`errors from ${url}: ${run.stdout}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  ensureTools();
  const dir = await mkdtemp(path.join(tmpdir(), 'condasync-serving-bench-'));
  const redis = await startRestartableRedis({ appendfsync: 'everysec' });
  const moto = await startMoto(dir);
  const folder = path.join(dir, 'folder');
  const apps: FastifyInstance[] = [];
  let nginx: { url: string; stop(): void } | undefined;
  const quietLog = createWriteStream('/dev/null');
  try {
    const files = await benchFiles(dir);
    const s3Env = {
      CONDASYNC_REDIS_URL: redis.url,
      CONDASYNC_STORAGE_URL: `s3://${CHANNEL}-bucket/mirror`,
      CONDASYNC_S3_ENDPOINT: moto.endpoint,
      ...AWS,
    };
    Object.assign(process.env, AWS);
    const s3 = openConfiguredStore(loadApiConfig(s3Env).store);
    await publish(s3, files);
    await s3.close();
    const fsStore = new FsObjectStore({ root: folder });
    await publish(fsStore, files);
    await fsStore.close();

    const api = (env: Record<string, string>) => {
      const app = buildApp({
        config: loadApiConfig({ ...s3Env, ...env }),
        logger: { level: 'info', stream: quietLog },
      });
      apps.push(app);
      return listen(app);
    };
    const serve = buildChannelServer({
      channels: new Map([[CHANNEL, path.join(folder, CHANNEL)]]),
      logger: { level: 'info', stream: quietLog },
    });
    const serveStream = buildChannelServer({
      channels: new Map([[CHANNEL, path.join(folder, CHANNEL)]]),
      logger: { level: 'info', stream: quietLog },
      packageCacheBytes: 0,
    });
    apps.push(serve, serveStream);
    nginx = await startNginx(dir, folder);
    const targets: Target[] = [
      { name: 'nginx', url: nginx.url },
      { name: 'api', url: await api({}) },
      {
        name: 'api-nocache',
        url: await api({ CONDASYNC_METADATA_CACHE_BYTES: '0', CONDASYNC_PACKAGE_CACHE_BYTES: '0' }),
      },
      { name: 'api-redirect', url: await api({ CONDASYNC_PACKAGE_DELIVERY: 'redirect' }) },
      { name: 'serve', url: await listen(serve) },
      { name: 'serve-stream', url: await listen(serveStream) },
    ];
    const repodataPath = `/${CHANNEL}/linux-64/repodata.json`;
    const etags = new Map<string, string>();
    for (const target of targets) {
      const response = await fetch(`${target.url}${repodataPath}`);
      await response.arrayBuffer();
      etags.set(target.name, response.headers.get('etag') ?? '');
    }
    const cases = [
      { name: 'repodata 200', path: repodataPath, headers: () => ({}) },
      {
        name: 'repodata 304',
        path: repodataPath,
        headers: (t: Target) => ({ 'If-None-Match': etags.get(t.name) ?? '' }),
      },
      { name: `package ${packageKiB} KiB`, path: `/${CHANNEL}/linux-64/${PACKAGE}`, headers: () => ({}) },
    ];
    print(
      `serving: ${connections} connections, ${seconds} s per run, ${rounds} rounds; repodata.json ${files.get(`${CHANNEL}/linux-64/repodata.json`)?.length} B; load ${loadavg()[0]?.toFixed(2)}`,
    );
    const results = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const test of cases) {
        for (const target of targets) {
          const packageOnly = target.name === 'api-redirect' || target.name === 'serve-stream';
          if (packageOnly && !test.name.startsWith('package')) continue;
          const rate = await wrk(`${target.url}${test.path}`, test.headers(target));
          const key = `${test.name}|${target.name}`;
          results.set(key, [...(results.get(key) ?? []), rate]);
        }
      }
    }
    // Ratios are taken per round against the same round's nginx, then the median (BENCHMARKS.md).
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1
        ? (sorted[middle] ?? 0)
        : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
    };
    for (const test of cases) {
      const reference = results.get(`${test.name}|nginx`) ?? [];
      print(`${test.name}:`);
      for (const target of targets) {
        const values = results.get(`${test.name}|${target.name}`);
        if (values === undefined) continue;
        const ratios = values.map((value, round) => value / (reference[round] ?? Number.NaN));
        print(
          `  ${target.name.padEnd(13)} ${median(values).toFixed(0).padStart(7)} req/s  (÷ nginx ${median(ratios).toFixed(2)})  runs ${values.map((v) => v.toFixed(0)).join(' ')}`,
        );
      }
    }
    print(`load after: ${loadavg()[0]?.toFixed(2)}`);
  } finally {
    nginx?.stop();
    await Promise.all(apps.map((app) => app.close()));
    await moto.stop();
    await redis.stop();
    quietLog.end();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
