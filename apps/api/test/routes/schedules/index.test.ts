import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SCHEDULE_QUEUE_NAME } from '@condasync/queue';
import type { Queue } from 'bullmq';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../../test/support/fixture-upstream.ts';
import { API_TOKEN, authHeader, startTestApp, type TestApp } from '../../support/test-app.ts';

const testRecipes = new URL(
  '../../../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
  import.meta.url,
).pathname;

describe('/v1/schedules', () => {
  let t: TestApp;
  let upstream: FixtureUpstream;
  let ticks: Queue;
  const post = (payload: unknown, token = API_TOKEN) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/schedules',
      payload: payload as object,
      headers: authHeader(token),
    });
  const configYaml = () =>
    `channels: [${upstream.channelUrl()}]\nplatforms: [linux-64]\ndest_channel: recipes\n`;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    t = await startTestApp({
      env: { CONDASYNC_API_TOKENS: API_TOKEN, CONDASYNC_UPSTREAM_ALLOW: `${upstream.url}/` },
    });
    ticks = t.queue(SCHEDULE_QUEUE_NAME as never);
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  it('needs the API token', async () => {
    const response = await post({ cron: '0 2 * * *', config: configYaml() }, 'wrong-token-0123456789');
    assert.equal(response.statusCode, 401);
  });

  it('refuses bad timings with 400, every problem under its field', async () => {
    const cases: Array<[Record<string, unknown>, string[], RegExp]> = [
      [{ cron: '61 * * * *' }, ['cron'], /"61 \* \* \* \*" is not a cron pattern: .*0-59/],
      [{ cron: 'nightly' }, ['cron'], /has 1 field; expected 5/],
      [{}, ['cron'], /give a cron pattern/],
      [{ cron: '0 2 * * *', every: 5000 }, ['every'], /either `cron` or `every`/],
      [{ every: 10 }, ['every'], /at least 1000/],
      [{ cron: '0 2 * * *', tz: 'Mars/Olympus' }, ['tz'], /not an IANA time zone/],
      [{ cron: '0 2 * * *', id: 'a:b', colour: 'red' }, ['id', 'colour'], /not a schedule id/],
    ];
    for (const [fields, paths, message] of cases) {
      const response = await post({ config: configYaml(), ...fields });
      assert.equal(response.statusCode, 400, JSON.stringify(fields));
      const { error } = response.json();
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.deepEqual(
        error.details.map((d: { path: string }) => d.path),
        paths,
        JSON.stringify(fields),
      );
      assert.match(error.details[0].message, message);
    }
    const noConfig = await post({ cron: '0 2 * * *' });
    assert.equal(noConfig.statusCode, 400);
    assert.equal(noConfig.json().error.details[0].path, 'config');
  });

  it('refuses a config POST /v1/syncs would refuse', async () => {
    const badKey = await post({ cron: '0 2 * * *', config: `${configYaml()}mirror_dir: /srv/m\n` });
    assert.equal(badKey.statusCode, 400);
    assert.equal(badKey.json().error.details[0].path, 'mirror_dir');
    const refused = await post({ cron: '0 2 * * *', config: { channels: ['http://10.1.2.3/conda'] } });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.code, 'UPSTREAM_NOT_ALLOWED');
  });

  it('creates an every-second schedule with its next run, lists it, fires it, replaces it and deletes it', async () => {
    const created = await post({ cron: '* * * * * *', config: configYaml() });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers.location, '/v1/schedules/recipes');
    const view = created.json();
    assert.equal(view.id, 'recipes', 'the id defaults to the dest_channel');
    assert.deepEqual(view.timing, { cron: '* * * * * *', every: null, tz: null });
    assert.ok(Math.abs(Date.parse(view.nextRunAt) - Date.now()) < 3_000, view.nextRunAt);
    assert.deepEqual(view.ticks, []);
    assert.equal(JSON.stringify(view).includes('channels'), false, 'the config is not shown');

    const got = await t.app.inject({
      method: 'GET',
      url: '/v1/schedules/recipes',
      headers: authHeader(API_TOKEN),
    });
    assert.equal(got.statusCode, 200);
    assert.ok(got.json().nextRunAt);
    const list = await t.app.inject({ method: 'GET', url: '/v1/schedules', headers: authHeader(API_TOKEN) });
    assert.deepEqual(
      list.json().items.map((item: { id: string }) => item.id),
      ['recipes'],
    );

    // BullMQ's scheduler keeps one tick job ahead of time: the schedule is live.
    const scheduler = await ticks.getJobScheduler('recipes');
    assert.equal(scheduler?.pattern, '* * * * * *');
    const [tick] = await ticks.getJobs(['delayed', 'waiting']);
    assert.deepEqual(tick?.data, { scheduleId: 'recipes' });

    const replaced = await post({ id: 'recipes', every: 60_000, config: configYaml() });
    assert.equal(replaced.statusCode, 200);
    assert.deepEqual(replaced.json().timing, { cron: null, every: 60_000, tz: null });
    assert.equal((await ticks.getJobScheduler('recipes'))?.every, 60_000);

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: '/v1/schedules/recipes',
      headers: authHeader(API_TOKEN),
    });
    assert.equal(deleted.statusCode, 204);
    assert.equal(await ticks.getJobScheduler('recipes'), undefined);
    await sleep(1_200);
    // Ids only: a failing deepEqual over Job objects (Redis handles inside) never finishes its diff.
    const left = (await ticks.getJobs(['delayed', 'waiting'])).map((job) => job.id);
    assert.deepEqual(left, [], 'no tick is left to fire');
    const gone = await t.app.inject({
      method: 'GET',
      url: '/v1/schedules/recipes',
      headers: authHeader(API_TOKEN),
    });
    assert.equal(gone.statusCode, 404);
    const again = await t.app.inject({
      method: 'DELETE',
      url: '/v1/schedules/recipes',
      headers: authHeader(API_TOKEN),
    });
    assert.equal(again.statusCode, 404);
  });
});
