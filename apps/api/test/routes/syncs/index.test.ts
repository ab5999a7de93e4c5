import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { parseSyncConfig, storedSyncConfig } from '@condasync/mirror';
import { packageJobId, planJobId, QueueName, SYNC_ID_PATTERN } from '@condasync/queue';
import {
  API_TOKEN,
  authHeader,
  OTHER_API_TOKEN,
  startTestApp,
  type TestApp,
} from '../../support/test-app.ts';

const PUBLIC_IP_CHANNEL = 'https://1.1.1.1/conda-forge';

const yaml = (payload: string, token = API_TOKEN) => ({
  method: 'POST' as const,
  url: '/v1/syncs',
  payload,
  headers: { 'content-type': 'application/yaml', ...authHeader(token) },
});

describe('POST /v1/syncs', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { CONDASYNC_API_TOKENS: `${API_TOKEN},${OTHER_API_TOKEN}` } });
  });
  after(() => t.close());

  it('accepts a YAML config: 202, Location, a queued sync and its plan job', async () => {
    const response = await t.app.inject(
      yaml(
        `channels:\n  - ${PUBLIC_IP_CHANNEL}\nplatforms: [linux-64]\ndest_channel: mirror-a\npython_versions: [3.10]\n`,
      ),
    );
    assert.equal(response.statusCode, 202, response.body);
    const body = response.json();
    assert.match(body.id, SYNC_ID_PATTERN);
    assert.equal(body.status, 'queued');
    assert.equal(body.location, `/v1/syncs/${body.id}`);
    assert.equal(response.headers.location, `/v1/syncs/${body.id}`);

    const job = await t.queue(QueueName.plan).getJob(planJobId(body.id));
    assert.ok(job, 'the plan job is in the queue');
    assert.deepEqual(job.data, { syncId: body.id });
    assert.equal(await job.getState(), 'waiting');

    const view = (await t.app.inject({ url: body.location, headers: authHeader(API_TOKEN) })).json();
    assert.equal(view.status, 'queued');
    assert.equal(view.destChannel, 'mirror-a');
    assert.ok(!('config' in view), 'the stored config (it may hold tokens) is not returned');
    const stored = (await t.app.syncRegistry.config(body.id)) as {
      python_versions: string[];
      platforms: string[];
    };
    assert.deepEqual(stored.python_versions, ['3.10'], 'parsed from the text: 3.10 stays 3.10');
    assert.deepEqual(stored.platforms, ['linux-64', 'noarch']);
  });

  it('stores a config with environments in a form the worker reads back (it used to stay queued forever)', async () => {
    const text = `channels: [${PUBLIC_IP_CHANNEL}]\nplatforms: [linux-64]\ndest_channel: envs\nenvironments:\n  - name: app\n    specs: [python 3.12.*]\n`;
    const response = await t.app.inject(yaml(text));
    assert.equal(response.statusCode, 202, response.body);
    const stored = await t.app.syncRegistry.config(response.json().id);
    assert.deepEqual(storedSyncConfig(stored), parseSyncConfig(text));
  });

  it('accepts the same config as JSON (with a charset parameter)', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/syncs',
      payload: JSON.stringify({ channels: [PUBLIC_IP_CHANNEL], dest_channel: 'mirror-json' }),
      headers: { 'content-type': 'application/json; charset=utf-8', ...authHeader(OTHER_API_TOKEN) },
    });
    assert.equal(response.statusCode, 202, response.body);
    const job = await t.queue(QueueName.plan).getJob(planJobId(response.json().id));
    assert.ok(job);
  });

  it('refuses an invalid config with 400 CONFIG_INVALID listing every problem with its path', async () => {
    const response = await t.app.inject(
      yaml(
        [
          `channels: [${PUBLIC_IP_CHANNEL}]`,
          'platforms: [linux-64, plan9-mips]',
          'zstd_level: 99',
          'blacklist: [{version: ">=1"}]',
          'no_such_key: 1',
        ].join('\n'),
      ),
    );
    assert.equal(response.statusCode, 400);
    const { error } = response.json();
    assert.equal(error.code, 'CONFIG_INVALID');
    const paths = (error.details as Array<{ path: string; message: string }>).map((d) => d.path);
    assert.ok(error.details.length >= 4, JSON.stringify(error.details));
    for (const expected of ['platforms[1]', 'zstd_level', 'blacklist[0]', 'no_such_key']) {
      assert.ok(
        paths.some((path) => path.startsWith(expected)),
        `${expected} in ${JSON.stringify(paths)}`,
      );
    }
  });

  it('refuses YAML syntax errors, an empty body and unsupported media types', async () => {
    const syntax = await t.app.inject(yaml('channels: [unclosed\n'));
    assert.equal(syntax.statusCode, 400);
    assert.equal(syntax.json().error.code, 'CONFIG_INVALID');
    const empty = await t.app.inject(yaml('   \n'));
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error.code, 'CONFIG_INVALID');
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/syncs',
      payload: 'channels: []',
      headers: { 'content-type': 'text/plain', ...authHeader(API_TOKEN) },
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a body over 256 KiB with 413', async () => {
    const response = await t.app.inject(
      yaml(`# ${'x'.repeat(300 * 1024)}\nchannels: [${PUBLIC_IP_CHANNEL}]\n`),
    );
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses mirror_dir, naming the key', async () => {
    const response = await t.app.inject(yaml(`channels: [${PUBLIC_IP_CHANNEL}]\nmirror_dir: /srv/mirror\n`));
    assert.equal(response.statusCode, 400);
    const { error } = response.json();
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual(
      error.details.map((d: { path: string }) => d.path),
      ['mirror_dir'],
    );
  });

  it('refuses the CLI-only log and server keys, naming each', async () => {
    const response = await t.app.inject(
      yaml(
        `channels: [${PUBLIC_IP_CHANNEL}]\nlog_dir: /var/log/x\nserver_log_dir: /var/log/y\nserver_port: 8081\n`,
      ),
    );
    assert.equal(response.statusCode, 400);
    const { error } = response.json();
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual(
      error.details.map((d: { path: string }) => d.path),
      ['log_dir', 'server_log_dir', 'server_port'],
    );
  });

  it('accepts fetch_installers from a public remote_url, and refuses a loopback one naming remote_url', async () => {
    const accepted = await t.app.inject(
      yaml(
        `channels: [${PUBLIC_IP_CHANNEL}]\nremote_url: https://1.1.1.1/\ndest_channel: installers-a\nfetch_installers: true\ndir_names: [miniconda]\n`,
      ),
    );
    assert.equal(accepted.statusCode, 202, accepted.body);
    const refused = await t.app.inject(
      yaml(`channels: [${PUBLIC_IP_CHANNEL}]\nremote_url: http://127.0.0.1:9/\nfetch_installers: true\n`),
    );
    assert.equal(refused.statusCode, 400);
    const { error } = refused.json();
    assert.equal(error.code, 'UPSTREAM_NOT_ALLOWED');
    assert.deepEqual(
      error.details.map((d: { path: string }) => d.path),
      ['remote_url'],
    );
  });

  it('refuses delta_dir (a folder of the client), naming the key', async () => {
    const response = await t.app.inject(
      yaml(`channels: [${PUBLIC_IP_CHANNEL}]\ndelta: true\ndelta_dir: /srv/delta\n`),
    );
    assert.equal(response.statusCode, 400);
    const { error } = response.json();
    assert.deepEqual(
      error.details.map((d: { path: string }) => d.path),
      ['delta_dir'],
    );
    assert.match(error.details[0].message, /use `condasync sync` for delta exports/);
  });

  it('refuses upstreams outside the default policy, naming each channel with its token redacted', async () => {
    const secret = 'sekrit-token-123';
    const refusedChannels = [
      'file:///etc/conda',
      'http://127.0.0.1:8080/conda-forge',
      'https://localhost/conda-forge',
      'https://localhost./conda-forge',
      'https://10.0.0.1/conda-forge',
      'https://192.168.1.20/conda-forge',
      'https://169.254.169.254/latest',
      'https://[::1]/conda-forge',
      'https://[fd00::1]/conda-forge',
      `https://172.16.5.4/t/${secret}/private`,
      'https://internal-registry/conda-forge',
      `https://${hostname()}.localhost/x`,
    ];
    const response = await t.app.inject(
      yaml(`channels:\n${refusedChannels.map((url) => `  - ${url}`).join('\n')}\n  - ${PUBLIC_IP_CHANNEL}\n`),
    );
    assert.equal(response.statusCode, 400, response.body);
    const { error } = response.json();
    assert.equal(error.code, 'UPSTREAM_NOT_ALLOWED');
    assert.deepEqual(
      error.details.map((d: { path: string }) => d.path),
      refusedChannels.map((_, index) => `channels[${index}]`),
      'every refused channel is listed, the public one is not',
    );
    assert.ok(!response.body.includes(secret), 'the token is redacted');
    assert.match(error.details[9].message, /\/t\/<redacted>\//);
    assert.match(error.details[0].message, /file:\/\/\/etc\/conda/);
  });

  it('refuses a host name that resolves to a loopback or private address', async () => {
    // The machine's own name resolves locally (no DNS server involved) to its own address.
    const name = hostname();
    const addresses = (await lookup(name, { all: true })).map((entry) => entry.address);
    assert.ok(
      addresses.every((address) =>
        /^(127\.|10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|::1$|f[cde])/.test(address),
      ),
      `this test needs the host name ${name} to resolve to a non-public address, got ${addresses.join(', ')}`,
    );
    assert.ok(addresses.length > 0);
    const response = await t.app.inject(yaml(`channels: ['https://${name}/conda-forge']\n`));
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().error.code, 'UPSTREAM_NOT_ALLOWED');
  });

  it('answers 401 without a token or with a wrong one', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/syncs' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'UNAUTHORIZED');
    assert.match(none.headers['www-authenticate'] as string, /^Bearer/);
    const wrong = await t.app.inject({
      method: 'GET',
      url: '/v1/syncs',
      headers: authHeader('not-the-token-000000'),
    });
    assert.equal(wrong.statusCode, 401);
    const post = await t.app.inject(yaml(`channels: [${PUBLIC_IP_CHANNEL}]`, 'not-the-token-000000'));
    assert.equal(post.statusCode, 401);
    const right = await t.app.inject({
      method: 'GET',
      url: '/v1/syncs',
      headers: authHeader(OTHER_API_TOKEN),
    });
    assert.equal(right.statusCode, 200);
  });
});

describe('POST /v1/syncs with CONDASYNC_UPSTREAM_ALLOW', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      env: {
        CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1:9999/, file:///srv/channels/,https://conda.example.org',
      },
    });
  });
  after(() => t.close());

  it('accepts listed prefixes (even loopback and file://) and refuses everything else', async () => {
    const accepted = await t.app.inject(
      yaml(
        'channels: [http://127.0.0.1:9999/t/tok-1/conda-forge, file:///srv/channels/main, https://conda.example.org/x]\n',
      ),
    );
    assert.equal(accepted.statusCode, 202, accepted.body);
    const refused = await t.app.inject(
      yaml(
        `channels: [${PUBLIC_IP_CHANNEL}, http://127.0.0.1:19999/x, file:///srv/channels-other/x, https://conda.example.org.evil.example/x]\n`,
      ),
    );
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().error.code, 'UPSTREAM_NOT_ALLOWED');
    assert.deepEqual(
      refused.json().error.details.map((d: { path: string }) => d.path),
      ['channels[0]', 'channels[1]', 'channels[2]', 'channels[3]'],
    );
  });

  it('is open (no token needed) when CONDASYNC_API_TOKENS is empty, and says so in the log', async () => {
    const response = await t.app.inject({ url: '/v1/syncs' });
    assert.equal(response.statusCode, 200);
    assert.ok(t.logs.text.includes('CONDASYNC_API_TOKENS is empty'));
  });
});

describe('POST /v1/syncs with an Idempotency-Key', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { CONDASYNC_API_TOKENS: API_TOKEN } });
  });
  after(() => t.close());

  const submit = (key: string, body = `channels: [${PUBLIC_IP_CHANNEL}]\nplatforms: [linux-64]\n`) => {
    const request = yaml(body);
    return t.app.inject({ ...request, headers: { ...request.headers, 'idempotency-key': key } });
  };

  it('a retried submission gets the same sync back and runs nothing twice', async () => {
    const key = 'a1b2c3d4-0000-4000-8000-idempotent01';
    const first = await submit(key);
    assert.equal(first.statusCode, 202, first.body);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await submit(key);
    assert.equal(again.statusCode, 202, again.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.json().id, first.json().id);
    assert.equal(again.headers.location, first.headers.location);
    const listed = await t.app.inject({ url: '/v1/syncs', headers: authHeader(API_TOKEN) });
    assert.deepEqual(
      listed.json().items.map((sync: { id: string }) => sync.id),
      [first.json().id],
      'one sync, not two',
    );
    assert.equal(await t.queue(QueueName.plan).count(), 1, 'one plan job');
    const other = await submit('a1b2c3d4-0000-4000-8000-idempotent02');
    assert.notEqual(other.json().id, first.json().id, 'another key is another sync');
  });

  it('refuses the same key with another config, and a malformed key', async () => {
    const key = 'reused-key-0123456789';
    assert.equal((await submit(key)).statusCode, 202);
    const conflict = await submit(key, `channels: [${PUBLIC_IP_CHANNEL}]\nplatforms: [osx-64]\n`);
    assert.equal(conflict.statusCode, 409, conflict.body);
    assert.equal(conflict.json().error.code, 'CONFLICT');
    assert.match(conflict.json().error.message, /another config/);
    for (const bad of ['', 'has space', 'x'.repeat(256)]) {
      const response = await submit(bad);
      assert.equal(response.statusCode, 400, `${JSON.stringify(bad)}: ${response.body}`);
      assert.match(response.json().error.message, /Idempotency-Key/);
    }
  });
});

describe('POST /v1/syncs: upstream credentials never rest in Redis in clear', () => {
  const token = 'upstream-token-0123456789';
  const channel = `http://127.0.0.1:9999/t/${token}/private`;
  const allow = { CONDASYNC_API_TOKENS: API_TOKEN, CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1:9999/' };

  it('seals the stored config with CONDASYNC_SECRET_KEY: no trace of the token in Redis', async () => {
    const t = await startTestApp({ env: allow });
    try {
      const response = await t.app.inject(yaml(`channels: [${channel}]\n`));
      assert.equal(response.statusCode, 202, response.body);
      const { id } = response.json();
      const stored = await t.redis.hgetall(`${t.queuePrefix}:sync:${id}`);
      assert.match(stored.config ?? '', /^sealed:v1:/);
      assert.ok(!JSON.stringify(stored).includes(token), 'the token rests in Redis in clear');
      const opened = (await t.app.syncRegistry.config(id)) as { channels: string[] };
      assert.deepEqual(opened.channels, [channel], 'a holder of the key reads the config back');
    } finally {
      await t.close();
    }
  });

  it('without a key, refuses a config that carries a token and says what to set', async () => {
    const t = await startTestApp({ env: { ...allow, CONDASYNC_SECRET_KEY: '' } });
    try {
      const response = await t.app.inject(yaml(`channels: [${channel}, http://127.0.0.1:9999/public]\n`));
      assert.equal(response.statusCode, 400, response.body);
      const { error } = response.json();
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.deepEqual(
        error.details.map((d: { path: string }) => d.path),
        ['channels[0]'],
      );
      assert.match(error.details[0].message, /CONDASYNC_SECRET_KEY/);
      assert.ok(!response.body.includes(token));
      const open = await t.app.inject(yaml('channels: [http://127.0.0.1:9999/public]\n'));
      assert.equal(open.statusCode, 202, 'a config without credentials needs no key');
    } finally {
      await t.close();
    }
  });
});

describe('GET, list and DELETE /v1/syncs', () => {
  let t: TestApp;
  const submit = async (destChannel: string): Promise<string> => {
    const response = await t.app.inject(
      yaml(`channels: [${PUBLIC_IP_CHANNEL}]\ndest_channel: ${destChannel}\n`),
    );
    assert.equal(response.statusCode, 202, response.body);
    return response.json().id;
  };
  const request = (method: 'GET' | 'DELETE', url: string) =>
    t.app.inject({ method, url, headers: authHeader(API_TOKEN) });

  before(async () => {
    t = await startTestApp({ env: { CONDASYNC_API_TOKENS: API_TOKEN } });
  });
  after(() => t.close());

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await request('GET', '/v1/syncs/000000000-0000000000');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'NOT_FOUND');
    const malformed = await request('GET', '/v1/syncs/..%2Fsyncs');
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().error.code, 'INVALID_REQUEST');
    assert.equal((await request('DELETE', '/v1/syncs/000000000-0000000000')).statusCode, 404);
  });

  it('lists syncs newest first, in pages', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push(await submit(`list-${index}`));
      // Sync ids sort by their millisecond timestamp; keep them apart.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = (await request('GET', '/v1/syncs?limit=2')).json();
    assert.deepEqual(
      first.items.map((item: { id: string }) => item.id),
      [ids[4], ids[3]],
    );
    assert.equal(typeof first.nextCursor, 'string');
    const second = (await request('GET', `/v1/syncs?limit=2&cursor=${first.nextCursor}`)).json();
    assert.deepEqual(
      second.items.map((item: { id: string }) => item.id),
      [ids[2], ids[1]],
    );
    const all = (await request('GET', '/v1/syncs')).json();
    assert.equal(all.items.length, 5);
    assert.equal(all.nextCursor, null);
    assert.equal((await request('GET', '/v1/syncs?limit=0')).statusCode, 400);
    assert.equal((await request('GET', '/v1/syncs?limit=101')).statusCode, 400);
    assert.equal((await request('GET', '/v1/syncs?cursor=abc')).statusCode, 400);
  });

  it('cancels a sync: 202 with the view, its waiting jobs removed, other syncs untouched; 409 the second time', async () => {
    const id = await submit('cancel-me');
    const otherId = await submit('keep-me');
    const packages = t.queue(QueueName.package);
    const add = (syncId: string, filename: string, delay = 0) =>
      packages.add(
        'package',
        { syncId, subdir: 'noarch', filename, channelIndex: 0, size: 1 },
        { jobId: packageJobId(syncId, 'noarch', filename), ...(delay > 0 ? { delay } : {}) },
      );
    for (let index = 0; index < 5; index++) await add(id, `a-${index}-0.conda`);
    await add(id, 'delayed-1-0.conda', 60_000);
    await add(otherId, 'other-1-0.conda');
    await add(otherId, 'other-2-0.conda', 60_000);

    const response = await request('DELETE', `/v1/syncs/${id}`);
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(response.json().id, id);
    assert.equal(response.json().status, 'cancelled');
    assert.ok(response.json().finishedAt, 'finishedAt is set');

    assert.equal(await t.queue(QueueName.plan).getJob(planJobId(id)), undefined, 'the plan job is gone');
    assert.ok(await t.queue(QueueName.plan).getJob(planJobId(otherId)), 'the other plan job stays');
    const left = await packages.getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(left.map((job) => job.data.filename).sort(), ['other-1-0.conda', 'other-2-0.conda']);

    const again = await request('DELETE', `/v1/syncs/${id}`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'CONFLICT');
    assert.equal((await request('GET', `/v1/syncs/${id}`)).json().status, 'cancelled');
  });

  it('pages through more waiting jobs than one page holds', async () => {
    const id = await submit('many-jobs');
    const packages = t.queue(QueueName.package);
    const jobs = Array.from({ length: 2500 }, (_, index) => {
      const filename = `p-${index}-0.conda`;
      const syncId = index % 5 === 0 ? 'zzzzzzzzz-ffffffffff' : id;
      return {
        name: 'package',
        data: { syncId, subdir: 'noarch', filename, channelIndex: 0, size: 1 },
        opts: { jobId: packageJobId(syncId, 'noarch', filename) },
      };
    });
    for (let start = 0; start < jobs.length; start += 1000)
      await packages.addBulk(jobs.slice(start, start + 1000));
    assert.equal((await request('DELETE', `/v1/syncs/${id}`)).statusCode, 202);
    const left = await packages.getRanges(['waiting'], 0, -1);
    assert.equal(
      left.filter((jobId) => jobId.includes(id)).length,
      0,
      'none of the cancelled sync’s jobs are left',
    );
    assert.equal(
      left.filter((jobId) => jobId.includes('zzzzzzzzz-ffffffffff')).length,
      500,
      'the other sync’s stay',
    );
  });
});
