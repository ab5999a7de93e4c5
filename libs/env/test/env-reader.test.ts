import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EnvError, EnvErrorCode, EnvReader, portUnavailable, redactUrlCredentials } from '../src/index.ts';

function problemsOf(read: (reader: EnvReader) => void, env: Record<string, string>): string[] {
  const reader = new EnvReader(env);
  read(reader);
  try {
    reader.finish();
  } catch (error) {
    assert.ok(error instanceof EnvError, String(error));
    assert.equal(error.code, EnvErrorCode.Invalid);
    return error.problems.map((p) => `${p.variable}: ${p.message}`);
  }
  return [];
}

describe('EnvReader', () => {
  test('trims values and treats blank as unset', () => {
    const read = new EnvReader({ A: '  x ', B: '   ', C: ' a, ,b ,' });
    assert.equal(read.text('A'), 'x');
    assert.equal(read.text('B'), undefined);
    assert.equal(read.text('MISSING'), undefined);
    assert.deepEqual(read.list('C'), ['a', 'b']);
    assert.deepEqual(read.list('MISSING'), []);
    read.finish();
  });

  test('integers and ports: the fallback when unset, a problem when out of range or not digits', () => {
    const read = new EnvReader({ N: '42', PORT: '8081' });
    assert.equal(read.integer('N', 1, 0, 100), 42);
    assert.equal(read.integer('UNSET', 7, 0, 100), 7);
    assert.equal(read.port('PORT', 8080), 8081);
    read.finish();
    assert.deepEqual(
      problemsOf(
        (r) => {
          assert.equal(r.integer('N', 5, 1, 10), 5);
          assert.equal(r.port('PORT', 8080), 8080);
          r.integer('NEG', 1, 0, 10);
        },
        { N: '1.5', PORT: '65536', NEG: '-1' },
      ),
      [
        "N: '1.5' is not an integer from 1 to 10",
        "PORT: '65536' is not an integer from 0 to 65535",
        "NEG: '-1' is not an integer from 0 to 10",
      ],
    );
  });

  test('log levels: pino names in any case, silent included', () => {
    assert.equal(new EnvReader({ CONDASYNC_LOG_LEVEL: 'WARN' }).logLevel(), 'warn');
    assert.equal(new EnvReader({ CONDASYNC_LOG_LEVEL: 'silent' }).logLevel(), 'silent');
    assert.equal(new EnvReader({}).logLevel(), 'info');
    assert.deepEqual(
      problemsOf((r) => r.logLevel(), { CONDASYNC_LOG_LEVEL: 'verbose' }),
      ["CONDASYNC_LOG_LEVEL: 'verbose' is not one of trace, debug, info, warn, error, fatal, silent"],
    );
  });

  test('Redis URL: required or optional, checked, its password never echoed', () => {
    assert.equal(new EnvReader({}).redisUrl({ required: false }), null);
    assert.equal(
      new EnvReader({ CONDASYNC_REDIS_URL: 'rediss://u:p@redis:6380/2' }).redisUrl({ required: true }),
      'rediss://u:p@redis:6380/2',
    );
    assert.deepEqual(
      problemsOf((r) => r.redisUrl({ required: true }), {}),
      ['CONDASYNC_REDIS_URL: is required (redis://host:6379 or rediss://…)'],
    );
    const problems = problemsOf((r) => r.redisUrl({ required: true }), {
      CONDASYNC_REDIS_URL: 'http://admin:hunter2@redis:6379',
    });
    assert.deepEqual(problems, [
      "CONDASYNC_REDIS_URL: 'http://admin:***@redis:6379/' is not a redis:// or rediss:// URL",
    ]);
  });

  test('store settings: the URL as libs/storage opens it, the endpoint and the region', () => {
    assert.deepEqual(
      new EnvReader({
        CONDASYNC_STORAGE_URL: 's3://bucket/prefix',
        CONDASYNC_S3_ENDPOINT: 'http://127.0.0.1:9000',
        CONDASYNC_S3_REGION: 'eu-west-1',
      }).store({ required: true }),
      { url: 's3://bucket/prefix', s3Endpoint: 'http://127.0.0.1:9000', s3Region: 'eu-west-1' },
    );
    assert.equal(new EnvReader({}).store({ required: false }), null);
    assert.deepEqual(
      problemsOf((r) => r.store({ required: true }), {
        CONDASYNC_STORAGE_URL: 'bogus://x',
        CONDASYNC_S3_ENDPOINT: 'minio:9000',
        CONDASYNC_S3_REGION: 'eu west',
      }),
      [
        `CONDASYNC_STORAGE_URL: 'bogus://x' has the unsupported scheme "bogus:"; expected file:///path or s3://bucket/prefix`,
        "CONDASYNC_S3_ENDPOINT: 'minio:9000' is not an http(s) URL",
        "CONDASYNC_S3_REGION: 'eu west' is not a region name (e.g. us-east-1)",
      ],
    );
    assert.deepEqual(
      problemsOf((r) => r.store({ required: true }), {}),
      ['CONDASYNC_STORAGE_URL: is required (file:///absolute/path or s3://bucket/prefix)'],
    );
    const secret = problemsOf((r) => r.store({ required: true }), {
      CONDASYNC_STORAGE_URL: 's3://AKIA:hunter2@bucket/x',
      CONDASYNC_S3_ENDPOINT: 'ftp://user:hunter3@minio',
    }).join('\n');
    assert.ok(!secret.includes('hunter2') && !secret.includes('hunter3'), secret);
  });

  test('tokens: a bad entry is named by position and reason, never by value', () => {
    const rule = { pattern: /^[A-Za-z0-9-]+$/, what: 'letters, digits and -', minLength: 16 };
    assert.deepEqual(new EnvReader({ T: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' }).tokens('T', rule), [
      'aaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbb',
    ]);
    const problems = problemsOf((r) => r.tokens('T', rule), { T: 'short-secret,has_underscore_secret_1' });
    assert.deepEqual(problems, [
      'T: entry 1 is 12 characters long, at least 16',
      'T: entry 2 has characters outside letters, digits and -',
    ]);
  });

  test('queue prefix: letters, digits, _ and - only (it becomes part of Redis keys)', () => {
    assert.equal(new EnvReader({ CONDASYNC_QUEUE_PREFIX: 'staging_1' }).queuePrefix(), 'staging_1');
    assert.equal(new EnvReader({}).queuePrefix(), null);
    assert.deepEqual(
      problemsOf((r) => r.queuePrefix(), { CONDASYNC_QUEUE_PREFIX: 'a:b' }),
      ["CONDASYNC_QUEUE_PREFIX: 'a:b' is not 1 to 64 letters, digits, '_' or '-'"],
    );
  });

  test('finish() lists every problem at once, in the order they were read', () => {
    const read = new EnvReader({ A: 'x', B: 'y' });
    read.integer('A', 0, 0, 1);
    read.oneOf('B', ['one', 'two'], 'one');
    assert.throws(
      () => read.finish(),
      (error: unknown) =>
        error instanceof EnvError &&
        error.message ===
          "invalid environment: A 'x' is not an integer from 0 to 1; B 'y' is not one of one, two" &&
        error.problems.length === 2 &&
        Object.isFrozen(error.problems),
    );
  });
});

describe('portUnavailable', () => {
  test('names the variable, the port and why, keeping the cause', () => {
    const cause = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    const error = portUnavailable('PORT', '0.0.0.0', 8080, cause);
    assert.equal(error.code, EnvErrorCode.PortUnavailable);
    assert.deepEqual(error.problems, [{ variable: 'PORT', message: '8080 on 0.0.0.0 is already in use' }]);
    assert.equal(error.cause, cause);
    const denied = portUnavailable('PORT', '0.0.0.0', 80, Object.assign(new Error('x'), { code: 'EACCES' }));
    assert.match(denied.problems[0]?.message ?? '', /80 on 0\.0\.0\.0 needs privileges/);
  });
});

describe('redactUrlCredentials', () => {
  test('hides the password, keeps the rest, and echoes nothing that does not parse', () => {
    assert.equal(redactUrlCredentials('redis://default:pw@redis:6379/0'), 'redis://default:***@redis:6379/0');
    assert.equal(redactUrlCredentials('redis://redis:6379'), 'redis://redis:6379');
    assert.equal(redactUrlCredentials('not a url secret'), '(unparseable URL)');
  });
});
