import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadWorkerConfig, WorkerConfigError } from '../src/config.ts';

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

  test('serves the queues CONDASYNC_WORKER_QUEUES lists, all three by default', () => {
    assert.deepEqual(loadWorkerConfig(REQUIRED).queues, ['plan', 'package', 'finalize']);
    assert.deepEqual(
      loadWorkerConfig({ ...REQUIRED, CONDASYNC_WORKER_QUEUES: ' package, package ,finalize' }).queues,
      ['package', 'finalize'],
    );
    assert.throws(
      () => loadWorkerConfig({ ...REQUIRED, CONDASYNC_WORKER_QUEUES: 'plan,download' }),
      /CONDASYNC_WORKER_QUEUES lists unknown queue "download" \(known: plan, package, finalize\)/,
    );
    assert.throws(
      () => loadWorkerConfig({ ...REQUIRED, CONDASYNC_WORKER_QUEUES: ' , ' }),
      /CONDASYNC_WORKER_QUEUES lists no queue/,
    );
  });

  test('names every missing or invalid variable at once', () => {
    assert.throws(
      () => loadWorkerConfig({ CONDASYNC_WORKER_CONCURRENCY: 'many' }),
      (error: unknown) =>
        error instanceof WorkerConfigError &&
        error.problems.length === 3 &&
        error.problems.includes('CONDASYNC_REDIS_URL is required') &&
        error.problems.includes('CONDASYNC_WORKER_CONCURRENCY must be an integer from 1 to 512, got "many"'),
    );
  });
});
