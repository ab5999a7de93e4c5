import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkRedisPolicy } from '@condasync/queue';
import { startThrowawayRedis, type ThrowawayRedis } from '../../support/redis-server.ts';
import { startTestApp, testS3Store } from '../../support/test-app.ts';

describe('/livez and /readyz', () => {
  it('are ready with a Redis that runs noeviction + AOF and a reachable store', async () => {
    const t = await startTestApp();
    try {
      const live = await t.app.inject({ url: '/livez' });
      assert.equal(live.statusCode, 200);
      assert.deepEqual(live.json(), { status: 'ok' });
      const ready = await t.app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.deepEqual(ready.json(), {
        status: 'ready',
        checks: { redis: { ok: true, problems: [] }, store: { ok: true, problems: [] } },
      });
    } finally {
      await t.close();
    }
  });

  describe('with a badly configured Redis', () => {
    let lru: ThrowawayRedis;
    let noAof: ThrowawayRedis;
    let managed: ThrowawayRedis;
    before(async () => {
      [lru, noAof, managed] = await Promise.all([
        startThrowawayRedis(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'yes']),
        startThrowawayRedis(['--maxmemory-policy', 'noeviction', '--appendonly', 'no']),
        // As ElastiCache and Memorystore do: CONFIG is not available to clients.
        startThrowawayRedis(['--rename-command', 'CONFIG', '']),
      ]);
    });
    after(async () => {
      await Promise.all([lru.stop(), noAof.stop(), managed.stop()]);
    });

    it('is ready when Redis refuses CONFIG GET (managed Redis), which it cannot check', async () => {
      const policy = await checkRedisPolicy(managed.redis);
      assert.equal(policy.ok, true);
      assert.match(policy.unverified ?? '', /Redis refuses CONFIG GET \(ERR unknown command 'config'/i);
      assert.match(policy.unverified ?? '', /maxmemory-policy noeviction and AOF/);
      const t = await startTestApp({ redis: managed.redis });
      try {
        const response = await t.app.inject({ url: '/readyz' });
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(response.json().checks.redis, { ok: true, problems: [] });
      } finally {
        await t.close();
      }
    });

    it('answers 503 naming the eviction policy', async () => {
      const t = await startTestApp({ redis: lru.redis });
      try {
        const response = await t.app.inject({ url: '/readyz' });
        assert.equal(response.statusCode, 503);
        const body = response.json();
        assert.equal(body.status, 'not ready');
        assert.equal(body.checks.redis.ok, false);
        assert.match(
          body.checks.redis.problems.join(' '),
          /maxmemory-policy is allkeys-lru, expected noeviction/,
        );
        assert.equal(body.checks.store.ok, true);
        assert.equal((await t.app.inject({ url: '/livez' })).statusCode, 200, 'still alive');
      } finally {
        await t.close();
      }
    });

    it('answers 503 when AOF is off', async () => {
      const t = await startTestApp({ redis: noAof.redis });
      try {
        const response = await t.app.inject({ url: '/readyz' });
        assert.equal(response.statusCode, 503);
        assert.match(response.json().checks.redis.problems.join(' '), /appendonly is no, expected yes/);
      } finally {
        await t.close();
      }
    });
  });

  it('answers 503 when the object store cannot be reached, without naming it', async () => {
    const store = testS3Store('no-such-bucket-condasync-readyz');
    const t = await startTestApp({ store });
    try {
      const response = await t.app.inject({ url: '/readyz' });
      assert.equal(response.statusCode, 503, response.body);
      const body = response.json();
      assert.equal(body.checks.redis.ok, true);
      assert.equal(body.checks.store.ok, false);
      assert.ok(!response.body.includes('no-such-bucket'), 'the bucket is not named in the answer');
      assert.match(
        t.logs.text,
        /readiness: the object store s3:\/\/no-such-bucket-condasync-readyz\S* at \S+ did not answer: /,
        'the cause is logged, in one line',
      );
    } finally {
      await t.close();
      await store.close();
    }
  });
});
