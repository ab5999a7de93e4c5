// S3 servers for the distributed benchmark, each on a free loopback port with one bucket, stopped
// after: moto (the tests' server, from the repo's .venv; it tops out near 40 puts/s) and SeaweedFS
// (`weed mini`, a real object store, built by scripts/lib/seaweedfs.sh into .tools/bin/weed).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../test/support/restartable-redis.ts';

const REPO_ROOT = path.join(import.meta.dirname, '../..');

export type S3ServerKind = 'moto' | 'seaweedfs';

export interface BenchS3Server {
  kind: S3ServerKind;
  endpoint: string;
  bucket: string;
  /** The server's process, for its CPU seconds. */
  pid: number | undefined;
  /** CONDASYNC_* and AWS_* variables that point a condasync process at `s3://bucket/<prefix>`. */
  env(prefix: string): Record<string, string>;
  /** A client of the bucket's server with the same credentials. */
  client(): S3Client;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'condasync-bench', secretAccessKey: 'condasync-bench-secret' } as const;
const REGION = 'us-east-1';
const BUCKET = 'condasync-bench';

/** Path of the weed binary: CONDASYNC_BENCH_WEED (scripts/lib/seaweedfs.sh exports it) or .tools/bin/weed. */
export function weedBinary(): string | null {
  const given = process.env.CONDASYNC_BENCH_WEED;
  if (given) return existsSync(given) ? given : null;
  const built = path.join(REPO_ROOT, '.tools/bin/weed');
  return existsSync(built) ? built : null;
}

/** What to run when weed is missing: the script that builds it (once, ~13 min on 2 cores). */
export const BUILD_WEED_COMMAND =
  "bash -c 'source scripts/lib/common.sh && source scripts/lib/deploy-tools.sh && source scripts/lib/seaweedfs.sh && ensure_seaweedfs'";

/** `parent`: where the server keeps its data (tmpfs keeps other processes' disk writes out of the figures). */
export async function startS3Server(kind: S3ServerKind, parent: string = tmpdir()): Promise<BenchS3Server> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(parent, `condasync-bench-${kind}-`));
  let child: ChildProcess;
  if (kind === 'moto') {
    child = spawn(path.join(REPO_ROOT, '.venv/bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
      cwd: dir,
      stdio: 'ignore',
    });
  } else {
    const weed = weedBinary();
    if (weed === null) {
      throw new Error(
        `SeaweedFS's weed is not built: run ${BUILD_WEED_COMMAND} (or set CONDASYNC_BENCH_WEED)`,
      );
    }
    child = spawn(weed, await seaweedArgs(dir, port), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = (): S3Client =>
    new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: CREDENTIALS });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createBucketWhenUp(client, child, kind, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    kind,
    endpoint,
    bucket: BUCKET,
    pid: child.pid,
    env: (prefix) => ({
      CONDASYNC_STORAGE_URL: `s3://${BUCKET}/${prefix}`,
      CONDASYNC_S3_ENDPOINT: endpoint,
      CONDASYNC_S3_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    client,
    stop,
  };
}

/** Creates the bucket as soon as the server answers S3 requests (weed mini starts several services). */
async function createBucketWhenUp(
  client: () => S3Client,
  child: ChildProcess,
  kind: S3ServerKind,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  const admin = client();
  try {
    for (;;) {
      try {
        await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`${kind} did not answer S3 within 60 s: ${String(error)}\n${stderr()}`);
        }
        await sleep(250);
      }
    }
  } finally {
    admin.destroy();
  }
}

/**
 * `weed mini` (master, volume server, filer and S3 gateway in one process) with every port on a free
 * loopback port (its gRPC ports would default to HTTP port + 10000), WebDAV, the admin UI and the
 * Iceberg catalog off, and the bench's credentials.
 */
async function seaweedArgs(dir: string, s3Port: number): Promise<string[]> {
  const identities = path.join(dir, 's3.json');
  writeFileSync(
    identities,
    JSON.stringify({
      identities: [
        {
          name: 'bench',
          credentials: [{ accessKey: CREDENTIALS.accessKeyId, secretKey: CREDENTIALS.secretAccessKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
  );
  const ports: string[] = [];
  for (const name of [
    'master.port',
    'master.port.grpc',
    'volume.port',
    'volume.port.grpc',
    'filer.port',
    'filer.port.grpc',
    's3.port.grpc',
  ]) {
    ports.push(`-${name}=${await freePort()}`);
  }
  return [
    'mini',
    `-dir=${path.join(dir, 'data')}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    ...ports,
    `-s3.port=${s3Port}`,
    '-s3.port.iceberg=0',
    '-webdav=false',
    '-admin.ui=false',
    `-s3.config=${identities}`,
  ];
}
