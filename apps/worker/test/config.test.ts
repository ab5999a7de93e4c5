import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EnvError } from '@condasync/env';
import { loadWorkerConfig } from '../src/config.ts';

const REQUIRED = {
  CONDASYNC_REDIS_URL: 'redis://127.0.0.1:6379',
  CONDASYNC_STORAGE_URL: 's3://bucket/mirror',
};

describe('loadWorkerConfig', () => {
  test('connects only to public upstream addresses unless CONDASYNC_UPSTREAM_ALLOW lists something', () => {
    assert.equal(loadWorkerConfig(REQUIRED).upstreamAllowListed, false);
    assert.equal(
      loadWorkerConfig({ ...REQUIRED, CONDASYNC_UPSTREAM_ALLOW: ' , ' }).upstreamAllowListed,
      false,
    );
    assert.equal(
      loadWorkerConfig({ ...REQUIRED, CONDASYNC_UPSTREAM_ALLOW: 'https://conda.internal/' })
        .upstreamAllowListed,
      true,
    );
  });

  test('serves the queues CONDASYNC_WORKER_QUEUES lists, all of them by default', () => {
    assert.deepEqual(loadWorkerConfig(REQUIRED).queues, ['plan', 'package', 'finalize', 'clean']);
    assert.deepEqual(
      loadWorkerConfig({ ...REQUIRED, CONDASYNC_WORKER_QUEUES: ' package, package ,finalize' }).queues,
      ['package', 'finalize'],
    );
    assert.throws(
      () => loadWorkerConfig({ ...REQUIRED, CONDASYNC_WORKER_QUEUES: 'plan,download' }),
      /CONDASYNC_WORKER_QUEUES lists unknown queue "download" \(known: plan, package, finalize, clean\)/,
    );
    assert.throws(
      () => loadWorkerConfig({ ...REQUIRED, CONDASYNC_WORKER_QUEUES: ' , ' }),
      /CONDASYNC_WORKER_QUEUES lists no queue/,
    );
  });

  test('names every missing or invalid variable at once', () => {
    assert.throws(
      () =>
        loadWorkerConfig({
          CONDASYNC_WORKER_CONCURRENCY: 'many',
          CONDASYNC_STORAGE_URL: 'bogus://x',
          CONDASYNC_LOG_LEVEL: 'loud',
          CONDASYNC_WORKER_METRICS_PORT: '99999',
        }),
      (error: unknown) => {
        assert.ok(error instanceof EnvError);
        assert.deepEqual(
          error.problems.map((p) => `${p.variable} ${p.message}`),
          [
            'CONDASYNC_REDIS_URL is required (redis://host:6379 or rediss://…)',
            'CONDASYNC_STORAGE_URL \'bogus://x\' has the unsupported scheme "bogus:"; expected file:///path or s3://bucket/prefix',
            "CONDASYNC_WORKER_CONCURRENCY 'many' is not an integer from 1 to 512",
            "CONDASYNC_WORKER_METRICS_PORT '99999' is not an integer from 0 to 65535",
            "CONDASYNC_LOG_LEVEL 'loud' is not one of trace, debug, info, warn, error, fatal, silent",
          ],
        );
        return true;
      },
    );
  });

  test('reads the store settings and the shutdown grace', () => {
    const config = loadWorkerConfig({
      ...REQUIRED,
      CONDASYNC_S3_ENDPOINT: 'http://minio:9000',
      CONDASYNC_WORKER_SHUTDOWN_SECONDS: '5',
    });
    assert.deepEqual(config.store, {
      url: 's3://bucket/mirror',
      s3Endpoint: 'http://minio:9000',
      s3Region: null,
    });
    assert.equal(config.shutdownGraceMs, 5000);
    assert.equal(loadWorkerConfig(REQUIRED).shutdownGraceMs, 25_000);
  });
});
