// Shared pieces of the interop suite (test/interop): the real conda tools from PyPI run against
// what condasync publishes. Python runs from the venv that scripts/test.sh installs, as a child
// process with a time limit; the mirror runs as real `condasync api` and `condasync worker`
// processes on a real Redis and on a folder or the S3 server.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SyncView } from '@condasync/queue';
import { type RunningRole, startRole } from './roles.ts';
import { createTestBucket } from './s3-bucket.ts';
import { testPython, testRedisUrl, uniqueTestName } from './services.ts';

/** The in-repo copy of the real conda test data (test/fixtures/conda-test-data/PROVENANCE.md). */
export const fixturesRoot = join(import.meta.dirname, '../fixtures/conda-test-data');
export const condaTestData = join(fixturesRoot, 'conda/tests/data');
/** conda's test channel: noarch only, `.conda` packages with dependencies between them. */
export const testRecipesChannel = join(condaTestData, 'test-recipes');
/** conda's format fixture: zlib as `.conda` and `.tar.bz2` for linux-64, osx-64, win-32, win-64. */
export const condaFormatRepoChannel = join(condaTestData, 'conda_format_repo');
export const interopScripts = join(import.meta.dirname, '../interop');

export interface PythonResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs the venv Python with `args`. Rejects on a non-zero exit or after `timeoutMs`, with the
 * tail of stderr in the message, so a failing tool explains itself in the test output.
 */
export function runPython(
  args: readonly string[],
  options: { timeoutMs: number } = { timeoutMs: 60_000 },
): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    execFile(
      testPython(),
      [...args],
      {
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        // Loopback only: a proxy from the CI environment must never see these requests.
        env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
      },
      (error, stdout, stderr) => {
        if (error) {
          const tail = stderr.split('\n').slice(-40).join('\n');
          reject(new Error(`python ${args.join(' ').slice(0, 300)} failed: ${error.message}\n${tail}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Runs one of the test/interop/*.py helpers that print a single JSON document on stdout. */
export async function runPythonJson<T>(
  script: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<T> {
  const { stdout, stderr } = await runPython([join(interopScripts, script), ...args], { timeoutMs });
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(lastLine) as T;
  } catch (error) {
    throw new Error(`${script} printed no JSON result:\n${stdout}\n${stderr}`, { cause: error });
  }
}

export type StorageBackend = 'filesystem' | 's3';

/** One request from the API's log: Fastify's "incoming request" and "request completed" lines. */
export interface LoggedRequest {
  method: string;
  /** The path as routed: token URLs are already rewritten to `/conda/…`. */
  url: string;
  /** The response status, when the "request completed" line was logged. */
  status: number | undefined;
}

export interface RunningApi {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  base: string;
  role: RunningRole;
  /**
   * Requests the API logged since `mark` (a value of `mark()`). Waits until the log has been quiet
   * for a moment first: the child's stdout reaches this process a little after the response.
   */
  requestsSince(mark: number): Promise<LoggedRequest[]>;
  /** A position in the log to count requests from. */
  mark(): number;
}

/**
 * A condasync installation: one worker and any number of API processes over the same storage
 * (a temp folder or a fresh bucket) and queue namespace. Tests close what they create.
 */
export class MirrorInstallation {
  readonly env: Record<string, string>;
  readonly apiToken = `interop-api-token-${process.pid}`;
  readonly apis: RunningApi[] = [];
  worker: RunningRole | undefined;
  readonly #scratch: string;

  private constructor(env: Record<string, string>, scratch: string) {
    this.env = env;
    this.#scratch = scratch;
  }

  static async create(backend: StorageBackend, name: string): Promise<MirrorInstallation> {
    const scratch = await mkdtemp(join(tmpdir(), `condasync-interop-${name}-`));
    const storageEnv =
      backend === 's3'
        ? (await createTestBucket(name)).env
        : { CONDASYNC_STORAGE_URL: pathToFileURL(join(scratch, 'mirror')).href };
    const env = {
      ...storageEnv,
      CONDASYNC_REDIS_URL: testRedisUrl(),
      CONDASYNC_QUEUE_PREFIX: uniqueTestName('interop'),
      CONDASYNC_WORKER_METRICS_PORT: '0',
      CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
      CONDASYNC_WORKER_CONCURRENCY: '8',
      CONDASYNC_WORK_DIR: join(scratch, 'work'),
      // The fixture upstreams listen on loopback, which workers reach only with an allow-list
      // (each API is started with its own list).
      CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1/',
    };
    return new MirrorInstallation(env, scratch);
  }

  async startWorker(): Promise<RunningRole> {
    this.worker = await startRole('worker', this.env);
    return this.worker;
  }

  /** Starts `condasync api` on a free loopback port; `extraEnv` e.g. sets CONDASYNC_CHANNEL_TOKENS. */
  async startApi(upstreamAllow: string, extraEnv: Record<string, string> = {}): Promise<RunningApi> {
    const role = await startRole('api', {
      ...this.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CONDASYNC_API_TOKENS: this.apiToken,
      CONDASYNC_UPSTREAM_ALLOW: upstreamAllow,
      // Channel requests are logged at debug only; the tests read which files clients fetched.
      CONDASYNC_LOG_LEVEL: 'debug',
      ...extraEnv,
    });
    const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(role.output())?.[1];
    if (base === undefined) throw new Error(`the API did not say where it listens:\n${role.output()}`);
    const api: RunningApi = {
      base,
      role,
      mark: () => role.output().length,
      requestsSince: async (mark) => {
        let seen = -1;
        while (seen !== role.output().length) {
          seen = role.output().length;
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
        return loggedRequests(role.output().slice(mark));
      },
    };
    this.apis.push(api);
    return api;
  }

  /** POSTs a YAML sync config to `api` and polls until the sync ends. */
  async sync(api: RunningApi, yaml: string, timeoutMs = 60_000): Promise<SyncView> {
    const auth = { authorization: `Bearer ${this.apiToken}` };
    const response = await fetch(`${api.base}/v1/syncs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: yaml,
    });
    const submitted = (await response.json()) as { id?: string };
    if (response.status !== 202 || submitted.id === undefined) {
      throw new Error(`POST /v1/syncs answered ${response.status}: ${JSON.stringify(submitted)}`);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = (await (
        await fetch(`${api.base}/v1/syncs/${submitted.id}`, { headers: auth })
      ).json()) as SyncView;
      if (['succeeded', 'partial', 'failed', 'cancelled'].includes(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`sync ${submitted.id} did not end: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops every process (SIGTERM) and removes the scratch folder; resolves with the exit codes. */
  async close(): Promise<Array<number | string>> {
    const codes = await Promise.all([
      ...this.apis.map((api) => api.role.stop()),
      ...(this.worker === undefined ? [] : [this.worker.stop()]),
    ]);
    await rm(this.#scratch, { recursive: true, force: true });
    return codes;
  }
}

interface RequestLogLine {
  reqId?: string;
  msg?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
}

/** The requests in a chunk of the API's pino output, in arrival order. */
export function loggedRequests(output: string): LoggedRequest[] {
  const byId = new Map<string, LoggedRequest>();
  for (const line of output.split('\n')) {
    if (!line.includes('"reqId"')) continue;
    let entry: RequestLogLine;
    try {
      entry = JSON.parse(line) as RequestLogLine;
    } catch {
      continue; // the first line of a slice taken mid-line; whole lines are what count
    }
    if (entry.reqId === undefined) continue;
    if (entry.msg === 'incoming request' && entry.req?.method !== undefined && entry.req.url !== undefined) {
      byId.set(entry.reqId, { method: entry.req.method, url: entry.req.url, status: undefined });
    } else if (entry.msg === 'request completed') {
      const request = byId.get(entry.reqId);
      if (request !== undefined) request.status = entry.res?.statusCode;
    }
  }
  return [...byId.values()];
}
