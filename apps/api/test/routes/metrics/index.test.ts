import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueueName } from '@condasync/queue';
import { FsObjectStore } from '@condasync/storage';
import { PACKAGE_CONDA, writeFixtureChannel } from '../../support/fixture-channel.ts';
import { startTestApp, type TestApp, tempFsStore } from '../../support/test-app.ts';

/** The value of one sample line `name{labels} value`, or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const hasAll = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (hasAll) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('/metrics', () => {
  let t: TestApp;
  let root: string;
  let dispose: () => Promise<void>;
  const scrape = async (): Promise<string> => {
    const response = await t.app.inject({ url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/plain/);
    return response.body;
  };

  before(async () => {
    const fixtureStore = await tempFsStore();
    root = fixtureStore.root;
    dispose = fixtureStore.dispose;
    await writeFixtureChannel(fixtureStore.store, 'fixture');
    // A factory: the app hands its storage-metrics hook to the store it opens.
    t = await startTestApp({ store: (onOperation) => new FsObjectStore({ root, onOperation }) });
  });
  after(async () => {
    await t.close();
    await dispose();
  });

  it('exposes every condasync metric, default process metrics included', async () => {
    const text = await scrape();
    for (const name of [
      'condasync_process_cpu_seconds_total',
      'condasync_nodejs_eventloop_lag_seconds',
      'condasync_http_requests_total',
      'condasync_http_request_duration_seconds',
      'condasync_served_bytes_total',
      'condasync_queue_jobs',
      'condasync_syncs_submitted_total',
      'condasync_storage_operation_duration_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  it('counts requests by route pattern (never the URL), served bytes by kind and storage operations', async () => {
    const before = await scrape();
    const route = '/conda/:channel/:subdir/:file';
    const packageRequests = { route, method: 'GET', status_class: '2xx' };
    const response = await t.app.inject({ url: `/conda/fixture/linux-64/${PACKAGE_CONDA}` });
    assert.equal(response.statusCode, 200);
    await t.app.inject({ url: '/conda/fixture/linux-64/repodata.json' });
    await t.app.inject({ url: '/conda/fixture/noarch/repodata.json.zst' });
    await t.app.inject({ url: '/no/such/route' });
    const text = await scrape();

    assert.equal(
      sample(text, 'condasync_http_requests_total', packageRequests) -
        sample(before, 'condasync_http_requests_total', packageRequests),
      2,
    );
    assert.equal(sample(text, 'condasync_http_requests_total', { route, status_class: '4xx' }), 1);
    assert.equal(
      sample(text, 'condasync_http_requests_total', { route: 'unmatched', status_class: '4xx' }),
      1,
    );
    assert.ok(sample(text, 'condasync_http_request_duration_seconds_count', { route, method: 'GET' }) >= 3);
    assert.ok(
      !text.includes(PACKAGE_CONDA) && !text.includes('/conda/fixture'),
      'no file names or URLs in labels',
    );

    const packageBytes = sample(text, 'condasync_served_bytes_total', { kind: 'package' });
    assert.equal(
      packageBytes - sample(before, 'condasync_served_bytes_total', { kind: 'package' }),
      response.rawPayload.length,
    );
    assert.ok(sample(text, 'condasync_served_bytes_total', { kind: 'repodata' }) > 0);
    const gets = { operation: 'get', outcome: 'ok' };
    assert.ok(
      sample(text, 'condasync_storage_operation_duration_seconds_count', gets) >
        sample(before, 'condasync_storage_operation_duration_seconds_count', gets),
    );
  });

  it('reports queue depths at scrape time and counts submitted syncs', async () => {
    const packages = t.queue(QueueName.package);
    await packages.add('package', { syncId: 'x' }, { jobId: 'metrics-1' });
    await packages.add('package', { syncId: 'x' }, { jobId: 'metrics-2', delay: 60_000 });
    const text = await scrape();
    assert.equal(sample(text, 'condasync_queue_jobs', { queue: QueueName.package, state: 'waiting' }), 1);
    assert.equal(sample(text, 'condasync_queue_jobs', { queue: QueueName.package, state: 'delayed' }), 1);
    assert.match(
      text,
      new RegExp(`condasync_queue_jobs\\{queue="${QueueName.finalize}",state="active"\\} 0`),
    );

    const submitted = sample(text, 'condasync_syncs_submitted_total');
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/syncs',
      payload: 'channels: [https://1.1.1.1/conda-forge]\n',
      headers: { 'content-type': 'application/yaml' },
    });
    assert.equal(response.statusCode, 202);
    const after = await scrape();
    assert.equal(sample(after, 'condasync_syncs_submitted_total'), submitted + 1);
    assert.equal(sample(after, 'condasync_queue_jobs', { queue: QueueName.plan, state: 'waiting' }), 1);
  });
});
