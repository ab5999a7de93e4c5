import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../bin/condasync.js');
const testRecipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);
const TOKEN = 'serve-test-token-0123456789';
const PACKAGE = 'noarch/versioned-1.0-0.conda';

/** Starts `condasync serve`; resolves with the channel URL it prints once listening. */
async function startServe(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; channelUrl: string; stdout: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const channelUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = / at (http:\/\/\S+\/conda\/\S+\/)\n/.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`condasync serve exited ${code}: ${stderr}`)));
  });
  return { child, channelUrl, stdout: () => stdout };
}

/** A port nothing listens on right now, for server_port (which must be 1-65535). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A keep-alive GET that drops the connection the moment the whole body is in, as curl does. */
async function getAndHangUp(url: string): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  let received = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const head = received.indexOf('\r\n\r\n');
      if (head < 0) return;
      const headers = received.subarray(0, head).toString();
      const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
      if (received.length - head - 4 < length) return;
      socket.destroy();
      resolve(Number(headers.split(' ')[1]));
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('condasync serve', () => {
  let dir: string;
  let upstream: FixtureUpstream;
  let mirror: string;
  let configPath: string;
  let configPort: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-serve-'));
    upstream = await startFixtureUpstream({ root: testRecipes });
    mirror = join(dir, 'mirror');
    configPath = join(dir, 'sync.yaml');
    configPort = await freePort();
    await writeFile(
      configPath,
      [
        `channels: [${upstream.channelUrl()}]`,
        'platforms: [linux-64]',
        `mirror_dir: ${mirror}`,
        'dest_channel: recipes',
        'pkg_list: [versioned]',
        `server_port: ${configPort}`,
        `server_log_dir: ${join(dir, 'access')}`,
        `log_dir: ${join(dir, 'logs')}`,
        '',
      ].join('\n'),
    );
    const synced = await run(process.execPath, [bin, 'sync', '-f', configPath, '-l', 'info'], {
      env: { ...process.env, CONDASYNC_WORK_DIR: join(dir, 'work'), CONDASYNC_STORAGE_URL: '' },
    });
    assert.match(synced.stdout, /Sync succeeded/);
  });
  after(async () => {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('log_dir gets the sync run’s log as JSON lines', async () => {
    const lines = (await readFile(join(dir, 'logs', 'condasync.log'), 'utf8')).trim().split('\n');
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('sync starting'), messages.join(' | '));
    assert.ok(messages.includes('sync ended'), messages.join(' | '));
  });

  test('serves the mirror of a sync config as the API does, and logs every request without its token', async () => {
    const { child, channelUrl, stdout } = await startServe(['-f', configPath, '--host', '127.0.0.1'], {
      CONDASYNC_CHANNEL_TOKENS: TOKEN,
    });
    try {
      assert.equal(channelUrl, `http://127.0.0.1:${configPort}/conda/recipes/`);
      assert.match(stdout(), /channels:\n {2}- http:\/\/127\.0\.0\.1:\d+\/t\/<TOKEN>\/conda\/recipes\n/);
      const origin = new URL(channelUrl).origin;
      const tokenUrl = `${origin}/t/${TOKEN}/conda/recipes`;

      const refused = await fetch(`${channelUrl}noarch/repodata.json`);
      assert.equal(refused.status, 401);
      await refused.arrayBuffer();

      const repodata = await fetch(`${tokenUrl}/noarch/repodata.json`);
      assert.equal(repodata.status, 200);
      const etag = repodata.headers.get('etag');
      assert.ok(etag, 'repodata has an ETag');
      assert.match(repodata.headers.get('cache-control') ?? '', /max-age=60/);
      const records = (await repodata.json()) as { 'packages.conda': Record<string, unknown> };
      assert.ok(records['packages.conda']['versioned-1.0-0.conda']);

      const again = await fetch(`${tokenUrl}/noarch/repodata.json`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      await again.arrayBuffer();

      const range = await fetch(`${origin}/conda/t/${TOKEN}/recipes/${PACKAGE}`, {
        headers: { range: 'bytes=0-9' },
      });
      assert.equal(range.status, 206);
      const expected = (await readFile(join(mirror, PACKAGE))).subarray(0, 10);
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), expected);

      await assert.rejects(access(join(mirror, 'noarch', 'current_repodata.json.zst')));
      const absent = await fetch(`${tokenUrl}/noarch/current_repodata.json.zst`);
      assert.equal(absent.status, 404);
      await absent.arrayBuffer();
    } finally {
      assert.equal(await stop(child), 0);
    }
    const log = await readFile(join(dir, 'access', 'access.log'), 'utf8');
    assert.doesNotMatch(log, new RegExp(TOKEN));
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { url: string; status: number; method: string });
    assert.deepEqual(
      lines.map((line) => line.status),
      [401, 200, 304, 206, 404],
    );
    assert.match(lines[1]?.url ?? '', /^\/t\/[^/]+\/conda\/recipes\/noarch\/repodata\.json$/);
  });

  test('--dir/--name/--port serve a folder without a config; the access log is appended to', async () => {
    const logLines = async (): Promise<number> =>
      (await readFile(join(dir, 'access', 'access.log'), 'utf8')).trim().split('\n').length;
    const before = await logLines();
    const { child, channelUrl } = await startServe(
      [
        '--dir',
        mirror,
        '--name',
        'other',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--log-dir',
        join(dir, 'access'),
      ],
      { CONDASYNC_CHANNEL_TOKENS: '' },
    );
    try {
      assert.match(channelUrl, /\/conda\/other\/$/);
      const response = await fetch(`${channelUrl}noarch/repodata.json`, { method: 'HEAD' });
      assert.equal(response.status, 200);
      const unknown = await fetch(`${new URL(channelUrl).origin}/conda/recipes/noarch/repodata.json`);
      assert.equal(unknown.status, 404);
      await unknown.arrayBuffer();
      // Clients that hang up at once still get their line (Fastify's onResponse missed some).
      for (let i = 0; i < 10; i++) assert.equal(await getAndHangUp(`${channelUrl}noarch/repodata.json`), 200);
      // A hung-up request's line is written when the server sees its socket close, a moment after
      // the client has its answer: wait for it (bounded) before stopping the server.
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (await logLines()) < before + 12) await sleep(50);
    } finally {
      assert.equal(await stop(child), 0);
    }
    assert.equal(await logLines(), before + 12);
  });

  test('usage mistakes exit 2 with a message naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /-f FILE .* or --dir DIR/],
      [['--dir', join(dir, 'nope')], /is not a folder/],
      [['--dir', mirror, '--port', 'http'], /--port http is not valid/],
      [['--dir', mirror, '--name', '.hidden'], /channel name "\.hidden" is not valid/],
    ];
    for (const [args, message] of cases) {
      const result = await run(process.execPath, [bin, 'serve', ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
  });
});
