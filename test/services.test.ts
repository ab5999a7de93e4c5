// Checks the servers `npm test` starts are the ones the suite relies on: a Redis configured as
// production must be (AOF, noeviction: BullMQ loses jobs otherwise) and an S3 API on loopback.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { testPython, testRedisUrl, testS3Endpoint, uniqueTestName } from './support/services.ts';

type RespValue = string | number | null | RespValue[] | Error;

/** Parses one RESP2 reply starting at `offset`; returns undefined while the reply is incomplete. */
function parseResp(buffer: Buffer, offset: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const kind = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let cursor = next;
      for (let i = 0; i < count; i += 1) {
        const item = parseResp(buffer, cursor);
        if (item === undefined) return undefined;
        items.push(item.value);
        cursor = item.end;
      }
      return { value: items, end: cursor };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(kind)} in reply`);
  }
}

/** Sends one command to Redis over a raw socket (no client library) and returns its reply. */
async function redisCommand(redisUrl: string, ...args: string[]): Promise<RespValue> {
  const url = new URL(redisUrl);
  const request = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = Buffer.alloc(0);
    socket.setTimeout(5000, () =>
      socket.destroy(new Error(`Redis at ${redisUrl} did not answer ${args[0]}`)),
    );
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const reply = parseResp(received, 0);
      if (reply !== undefined) {
        socket.end();
        resolve(reply.value);
      }
    });
    socket.on('error', reject);
  });
}

test('Redis runs with maxmemory-policy noeviction', async () => {
  assert.deepEqual(await redisCommand(testRedisUrl(), 'CONFIG', 'GET', 'maxmemory-policy'), [
    'maxmemory-policy',
    'noeviction',
  ]);
});

test('Redis runs with appendonly yes', async () => {
  assert.deepEqual(await redisCommand(testRedisUrl(), 'CONFIG', 'GET', 'appendonly'), ['appendonly', 'yes']);
});

test('Redis stores and returns a value', async () => {
  const key = uniqueTestName('services-test');
  assert.equal(await redisCommand(testRedisUrl(), 'SET', key, 'stored', 'EX', '60'), 'OK');
  assert.equal(await redisCommand(testRedisUrl(), 'GET', key), 'stored');
});

test('the S3 server answers ListBuckets with XML that lists a bucket just created', async () => {
  const endpoint = testS3Endpoint();
  const bucket = uniqueTestName('services-test');
  const created = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  assert.equal(created.status, 200, `creating bucket ${bucket} at ${endpoint}`);
  const listing = await fetch(`${endpoint}/`);
  assert.equal(listing.status, 200);
  const body = await listing.text();
  assert.match(body, /<ListAllMyBucketsResult/);
  assert.ok(
    body.includes(`<Name>${bucket}</Name>`),
    `ListBuckets should name ${bucket}: ${body.slice(0, 500)}`,
  );
});

test('the test Python has the reference tools: moto, conda-package-handling, rattler, conda-index', async () => {
  assert.match(testPython(), /^\/.+\/python$/);
  const probe = [
    'import importlib.metadata as m, conda_index.index, conda_package_handling.api, moto.server, rattler',
    'print(" ".join(m.version(p) for p in ["moto", "conda-package-handling", "conda-index", "py-rattler"]))',
    'print(rattler.Version("1.10") > rattler.Version("1.9"))',
  ].join('\n');
  const { stdout } = await promisify(execFile)(testPython(), ['-c', probe]);
  const [versions, ordering] = stdout.trim().split('\n');
  assert.match(versions ?? '', /^\d+\.\d+\.\d+ \d+\.\d+\.\d+ \d+\.\d+\.\d+ \d+\.\d+\.\d+$/);
  assert.equal(ordering, 'True');
});

test('a missing service variable fails with a message that says how to run the suite', () => {
  const saved = process.env['CONDASYNC_TEST_REDIS_URL'];
  delete process.env['CONDASYNC_TEST_REDIS_URL'];
  try {
    assert.throws(testRedisUrl, /CONDASYNC_TEST_REDIS_URL is not set.*npm test/);
  } finally {
    if (saved !== undefined) process.env['CONDASYNC_TEST_REDIS_URL'] = saved;
  }
});
