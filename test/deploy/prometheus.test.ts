import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QueueName, type SyncView } from '@condasync/queue';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import { sampleValue as sample } from '../support/prometheus-text.ts';
import { type RunningRole, startRole } from '../support/roles.ts';

// The operator's view, checked with Prometheus's own tool: the live /metrics of an API and a
// worker process after a real sync pass `promtool check metrics`; the alerting rules pass
// `promtool check rules` and their unit tests; the dashboard and the rules only name metrics
// the processes really expose.

const root = join(import.meta.dirname, '../..');
const rulesFile = join(root, 'deploy/helm/condasync/files/prometheus-rules.yaml');
const rulesTests = join(root, 'deploy/prometheus/rules.test.yaml');
const dashboardFile = join(root, 'deploy/helm/condasync/files/grafana-dashboard.json');
const formatRepo = join(
  import.meta.dirname,
  '../fixtures/conda-test-data/conda/tests/data/conda_format_repo',
);
const TOKEN = 'prometheus-test-token-0123456789';

async function promtoolPath(): Promise<string> {
  const path = process.env['CONDASYNC_TEST_PROMTOOL'];
  const how =
    'run the suite with `npm test` (scripts/test.sh builds promtool into .tools/bin with ensure_deploy_tools and exports it)';
  if (path === undefined || path === '') throw new Error(`CONDASYNC_TEST_PROMTOOL is not set: ${how}`);
  await access(path, constants.X_OK).catch((error: unknown) => {
    throw new Error(`CONDASYNC_TEST_PROMTOOL=${path} is not an executable promtool: ${how}`, {
      cause: error,
    });
  });
  return path;
}

function promtool(args: string[], input = ''): Promise<{ code: number | null; output: string }> {
  return promtoolPath().then(
    (path) =>
      new Promise((resolve, reject) => {
        const child = spawn(path, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
        child.stdin.end(input);
      }),
  );
}

/** Metric families named by `# TYPE` lines. */
const families = (text: string): Set<string> =>
  new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));

/** condasync metric names used in PromQL text, histogram suffixes removed; recording rules left out. */
function metricNamesIn(promql: string): Set<string> {
  return new Set(
    [...promql.matchAll(/(?<![:\w])condasync_[a-z0-9_]+(?![:\w])/g)].map((match) =>
      match[0].replace(/_(bucket|count|sum)$/, ''),
    ),
  );
}

test('the rules are valid and their unit tests pass (promtool check rules, promtool test rules)', async () => {
  const check = await promtool(['check', 'rules', rulesFile]);
  assert.equal(check.code, 0, check.output);
  assert.match(check.output, /SUCCESS: 12 rules found/);
  const unit = await promtool(['test', 'rules', rulesTests]);
  assert.equal(unit.code, 0, unit.output);
  assert.match(unit.output, /SUCCESS/);
});

test('the rule unit tests fail when an alert changes (a looser staleness threshold)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'condasync-rules-'));
  try {
    const rules = await readFile(rulesFile, 'utf8');
    const loosened = rules.replace('> 36 * 3600', '> 48 * 3600');
    assert.notEqual(loosened, rules);
    await writeFile(join(dir, 'rules.yaml'), loosened);
    const tests = (await readFile(rulesTests, 'utf8')).replace(
      '../helm/condasync/files/prometheus-rules.yaml',
      join(dir, 'rules.yaml'),
    );
    await writeFile(join(dir, 'rules.test.yaml'), tests);
    const unit = await promtool(['test', 'rules', join(dir, 'rules.test.yaml')]);
    assert.equal(unit.code, 1, unit.output);
    assert.match(unit.output, /alertname: CondasyncMirrorStale/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("docker compose's Prometheus configuration is valid (promtool check config)", async () => {
  const result = await promtool(['check', 'config', join(root, 'deploy/prometheus/prometheus.yml')]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS/);
});

test('promtool check metrics rejects a badly named metric', async () => {
  const bad =
    '# HELP condasync_jobs_total Jobs.\n# TYPE condasync_jobs_total gauge\ncondasync_jobs_total 1\n';
  const result = await promtool(['check', 'metrics'], bad);
  assert.equal(result.code, 3, result.output);
  assert.match(result.output, /non-counter metrics should not have "_total" suffix/);
});

describe('live /metrics of the API and a worker after a real sync', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  let api: RunningRole;
  let base: string;
  let workerMetricsUrl: string;
  let view: SyncView;
  const auth = { authorization: `Bearer ${TOKEN}` };

  const startApi = async (): Promise<RunningRole> => {
    const started = await startRole('api', {
      ...harness.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CONDASYNC_API_TOKENS: TOKEN,
      CONDASYNC_UPSTREAM_ALLOW: upstream.url,
    });
    base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())![1]!;
    return started;
  };
  const scrape = async (url: string): Promise<string> => {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    return response.text();
  };

  before(async () => {
    upstream = await startFixtureUpstream({ root: formatRepo });
    harness = await DistributedHarness.create('prometheus');
    api = await startApi();
    const [worker] = await harness.startWorkers(1);
    const port = /"metricsPort":(\d+)/.exec(worker!.output())![1];
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;

    const posted = await fetch(`${base}/v1/syncs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: `channels: [${upstream.channelUrl()}]\nplatforms: [linux-64, win-64]\ndest_channel: formats\nretries: 1\n`,
    });
    assert.equal(posted.status, 202);
    view = await harness.waitForEnd(((await posted.json()) as { id: string }).id);
    // A client: repodata, then a revalidation answered 304, and a package.
    const repodata = await fetch(`${base}/conda/formats/linux-64/repodata.json`);
    assert.equal(repodata.status, 200);
    await repodata.arrayBuffer();
    const revalidated = await fetch(`${base}/conda/formats/linux-64/repodata.json`, {
      headers: { 'if-none-match': repodata.headers.get('etag') ?? '' },
    });
    assert.equal(revalidated.status, 304);
  });

  after(async () => {
    await api.stop();
    await harness.close();
    await upstream.close();
  });

  test('the sync ended partial, as the fixture channel lacks some files', () => {
    assert.equal(view.status, 'partial', JSON.stringify(view));
  });

  test("the API's /metrics passes promtool check metrics and answers the operator's questions", async () => {
    const text = await scrape(`${base}/metrics`);
    const lint = await promtool(['check', 'metrics'], text);
    assert.equal(lint.code, 0, lint.output);
    assert.equal(lint.output, '');

    assert.equal(sample(text, 'condasync_syncs_total', { channel: 'formats', outcome: 'partial' }), 1);
    const published = sample(text, 'condasync_last_successful_sync_timestamp_seconds', {
      channel: 'formats',
    });
    assert.equal(published, Date.parse(view.finishedAt!) / 1000);
    assert.equal(sample(text, 'condasync_served_requests_total', { kind: 'repodata', outcome: 'ok' }), 1);
    assert.equal(
      sample(text, 'condasync_served_requests_total', { kind: 'repodata', outcome: 'not_modified' }),
      1,
    );
    assert.ok(
      (sample(text, 'condasync_served_request_duration_seconds_count', { kind: 'repodata' }) ?? 0) >= 1,
    );
    assert.equal(sample(text, 'condasync_redis_up'), 1);
    assert.equal(sample(text, 'condasync_storage_up'), 1);
    assert.equal(sample(text, 'condasync_queue_workers', { queue: QueueName.package }), 1);
    assert.equal(sample(text, 'condasync_queue_jobs', { queue: QueueName.package, state: 'waiting' }), 0);
    assert.doesNotMatch(
      text,
      /\.tar\.bz2|\.conda"|127\.0\.0\.1|sync_id|syncId/,
      'no file names, URLs or ids',
    );
  });

  test("a worker's /metrics passes promtool check metrics and counts the sync's packages", async () => {
    const text = await scrape(workerMetricsUrl);
    const lint = await promtool(['check', 'metrics'], text);
    assert.equal(lint.code, 0, lint.output);
    assert.equal(lint.output, '');

    const labels = (subdir: string, outcome: string) => ({ channel: 'formats', subdir, outcome });
    const counted = (subdir: string, outcome: string): number =>
      sample(text, 'condasync_packages_total', labels(subdir, outcome)) ?? 0;
    const failedIn = (subdir: string): number => view.failures.filter((f) => f.subdir === subdir).length;
    assert.equal(counted('linux-64', 'failed'), failedIn('linux-64'));
    assert.equal(counted('win-64', 'failed'), failedIn('win-64'));
    assert.equal(counted('linux-64', 'downloaded') + counted('win-64', 'downloaded'), view.counts.downloaded);
    assert.equal(
      sample(text, 'condasync_downloaded_bytes_total', { channel: 'formats' }),
      view.bytes.downloaded,
    );
    assert.equal(
      sample(text, 'condasync_download_duration_seconds_count', { channel: 'formats' }),
      view.counts.downloaded,
    );
    assert.equal(
      sample(text, 'condasync_package_failures_total', { channel: 'formats', reason: 'upstream_http' }),
      view.counts.failed,
    );
    assert.equal(sample(text, 'condasync_worker_job_slots', { queue: QueueName.package }), 4);
    assert.equal(sample(text, 'condasync_worker_jobs_active', { queue: QueueName.package }), 0);
    assert.doesNotMatch(text, /\.tar\.bz2|\.conda"|127\.0\.0\.1/, 'no file names or URLs in labels');
  });

  test('the dashboard and the rules name only metrics the API or the workers expose', async () => {
    const exposed = new Set([
      ...families(await scrape(`${base}/metrics`)),
      ...families(await scrape(workerMetricsUrl)),
    ]);
    const dashboard = JSON.parse(await readFile(dashboardFile, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const used = new Map<string, string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of metricNamesIn(target.expr)) used.set(name, `dashboard panel "${panel.title}"`);
      }
    }
    for (const name of metricNamesIn(await readFile(rulesFile, 'utf8'))) used.set(name, 'the rules');
    assert.ok(used.size >= 15, `found ${used.size} metric names`);
    for (const [name, where] of used)
      assert.ok(exposed.has(name), `${where} uses ${name}, which nothing exposes`);
  });

  test('sync outcomes and channel freshness survive an API restart (derived from the registry)', async () => {
    const before = await scrape(`${base}/metrics`);
    assert.equal(await api.stop(), 0);
    api = await startApi();
    // The new process may be scraped before its Redis connection is up (it fails fast, then the
    // series are absent): the numbers come with the first scrape after it connects.
    let text = await scrape(`${base}/metrics`);
    const freshness = ['condasync_last_successful_sync_timestamp_seconds', { channel: 'formats' }] as const;
    for (let tries = 0; sample(text, ...freshness) === undefined && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      text = await scrape(`${base}/metrics`);
    }
    for (const [name, labels] of [
      ['condasync_last_successful_sync_timestamp_seconds', { channel: 'formats' }],
      ['condasync_syncs_total', { channel: 'formats', outcome: 'partial' }],
    ] as const) {
      assert.ok(sample(before, name, labels) !== undefined, name);
      assert.equal(sample(text, name, labels), sample(before, name, labels), name);
    }
  });
});
