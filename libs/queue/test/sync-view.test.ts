import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Redis } from 'ioredis';
import { testRedisUrl, uniqueTestName } from '../../../test/support/services.ts';
import { createRedisConnection } from '../src/connection.ts';
import { newSyncId } from '../src/queues.ts';
import { SyncRegistry } from '../src/sync-registry.ts';
import { SyncPageSchema, SyncStatus, SyncViewSchema } from '../src/sync-view.ts';

/** The API's response schemas are these schemas: what the registry returns must satisfy them. */
function compile(schema: object): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, formats: { 'date-time': true } });
  return ajv.compile(schema);
}

describe('the sync view schema', () => {
  let redis: Redis;
  let registry: SyncRegistry;
  before(() => {
    redis = createRedisConnection(testRedisUrl(), { name: 'sync-view-test' });
    registry = new SyncRegistry(redis, { prefix: uniqueTestName('sync-view') });
  });
  after(() => redis.quit());

  test('describes what the registry returns, at every stage of a sync', async () => {
    const validView = compile(SyncViewSchema);
    const id = newSyncId();
    await registry.create({ id, destChannel: 'ch', config: { dest_channel: 'ch' } });
    const queued = await registry.get(id);
    assert.equal(validView(queued), true, JSON.stringify(validView.errors));
    await registry.recordPlan(id, [
      { subdir: 'noarch', selected: 2, planned: 1, skipped: 1, bytesPlanned: 10 },
    ]);
    await registry.finishPackage(id, 'noarch', 'a-1-0.conda', {
      status: 'failed',
      code: 'UPSTREAM_HTTP',
      reason: 'HTTP 404',
    });
    const failed = await registry.get(id);
    assert.equal(validView(failed), true, JSON.stringify(validView.errors));
    assert.equal(failed?.failures.length, 1);
    const validPage = compile(SyncPageSchema);
    assert.equal(validPage(await registry.list({ limit: 5 })), true, JSON.stringify(validPage.errors));
  });

  test('rejects what the API must never send', () => {
    const validView = compile(SyncViewSchema);
    const view = {
      id: newSyncId(),
      status: 'queued',
      destChannel: 'ch',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      startedAt: null,
      finishedAt: null,
      error: null,
      counts: { planned: 0, downloaded: 0, skipped: 0, failed: 0 },
      bytes: { planned: 0, downloaded: 0 },
      subdirs: [],
      failures: [],
      collisions: { total: 0, first: [] },
    };
    assert.equal(validView(view), true, JSON.stringify(validView.errors));
    assert.equal(validView({ ...view, status: 'running' }), false);
    assert.equal(validView({ ...view, id: 'not an id' }), false);
    const { counts: _counts, ...withoutCounts } = view;
    assert.equal(validView(withoutCounts), false);
    const collision = {
      subdir: 'noarch',
      filename: 'a-1-0.conda',
      kept: 'https://a/c',
      dropped: 'https://b/c',
    };
    assert.equal(validView({ ...view, collisions: { total: 1, first: [collision] } }), true);
    assert.equal(validView({ ...view, collisions: { total: 1, first: [{ ...collision, kept: 1 }] } }), false);
  });

  test('lists every status in its enum', () => {
    assert.deepEqual(SyncViewSchema.properties.status.enum, Object.values(SyncStatus));
  });
});
