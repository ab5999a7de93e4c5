import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore, type ObjectStore } from '@condasync/storage';
import { resolveSyncConfig, type SyncConfig } from '../src/config/index.ts';
import { runLocalSync } from '../src/local-sync.ts';
import { silentLogger } from '../src/logger.ts';
import type { SyncReport } from '../src/sync-report.ts';
import { UpstreamHttp } from '../src/upstream/http-client.ts';

export const fixturesRoot = join(import.meta.dirname, '../../../test/fixtures/conda-test-data');
export const testRecipes = join(fixturesRoot, 'conda/tests/data/test-recipes');
export const condaFormatRepo = join(fixturesRoot, 'conda/tests/data/conda_format_repo');

/** A scratch folder removed by the returned cleanup. */
export async function scratch(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `condasync-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A writable copy of a fixture channel, so tests can change it. */
export async function copyChannel(source: string, into: string): Promise<string> {
  const target = join(into, 'upstream');
  await cp(source, target, { recursive: true });
  return target;
}

export function testConfig(raw: Record<string, unknown>): SyncConfig {
  // Short retries keep fault tests quick; the rules are the same as with the defaults.
  return resolveSyncConfig({ retries: 2, concurrency: 4, ...raw });
}

/** Runs a local sync into `mirrorDir` with fast timeouts suited to a loopback upstream. */
export async function syncInto(
  mirrorDir: string,
  workDir: string,
  config: SyncConfig,
  extra: {
    dryRun?: boolean;
    reset?: boolean;
    signal?: AbortSignal;
    now?: () => number;
    store?: ObjectStore;
  } = {},
): Promise<SyncReport> {
  const { store = new FsObjectStore({ root: mirrorDir }), ...options } = extra;
  const http = new UpstreamHttp({ throughputWindowMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
  try {
    return await runLocalSync({
      config,
      store,
      channelPrefix: '',
      workDir,
      logger: silentLogger,
      http,
      ...options,
    });
  } finally {
    await http.close();
    await store.close();
  }
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

type Records = Record<string, Record<string, unknown>>;

/** All records of a repodata document, `.tar.bz2` and `.conda` together, by filename. */
export function allRecords(repodata: Record<string, unknown>): Records {
  return { ...((repodata['packages'] as Records) ?? {}), ...((repodata['packages.conda'] as Records) ?? {}) };
}

/** Upstream's record as we must publish it: verbatim, except `depends` is always an array. */
export function expectedRecord(upstream: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...upstream };
  for (const key of ['fn', 'url', 'channel', 'schannel']) delete copy[key];
  if (!Array.isArray(copy['depends'])) copy['depends'] = [];
  if (copy['constrains'] === null) delete copy['constrains'];
  return copy;
}
