// Everything a fault test needs, started and stopped together: a fixture upstream serving a real
// channel, the distributed harness (real Redis, a fresh bucket on the real S3 server), the S3
// fault proxy the roles write through, and the invariant poller reading the bucket directly.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SyncView, TERMINAL_STATUSES } from '@condasync/queue';
import { DistributedHarness } from './distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from './fixture-upstream.ts';
import { InvariantPoller, knownPackagesOf } from './invariant-poller.ts';
import { type RunningRole, startRole } from './roles.ts';
import { type S3FaultProxy, startS3FaultProxy } from './s3-fault-proxy.ts';
import { testS3Endpoint } from './services.ts';

export const TEST_RECIPES = join(
  import.meta.dirname,
  '../fixtures/conda-test-data/conda/tests/data/test-recipes',
);
/** The bigger packages of TEST_RECIPES/noarch: slowed down so a sync is still running when a fault hits. */
export const SLOW_PACKAGES = [
  'clobber-a-1.0-0.conda',
  'clobber-b-1.0-0.conda',
  'versioned-1.0-0.conda',
  'versioned-2.0-0.conda',
];
export const API_TOKEN = 'faults-api-token-0123456789';

export interface FaultWorldOptions {
  name: string;
  /** Another Redis than the suite's (one the test kills or fails over). */
  redisUrl?: string;
  /** The channel folder the upstream serves; TEST_RECIPES by default. */
  root?: string;
  /** Extra repodata versions the upstream may serve during the test (for the poller's known set). */
  extraRepodata?: Array<Record<string, unknown>>;
  /** How often the invariant poller looks (default 200 ms). */
  pollIntervalMs?: number;
}

export class FaultWorld {
  readonly upstream: FixtureUpstream;
  readonly harness: DistributedHarness;
  readonly proxy: S3FaultProxy;
  readonly poller: InvariantPoller;
  readonly root: string;
  api: RunningRole | undefined;
  apiBase = '';

  private constructor(
    upstream: FixtureUpstream,
    harness: DistributedHarness,
    proxy: S3FaultProxy,
    poller: InvariantPoller,
    root: string,
  ) {
    this.upstream = upstream;
    this.harness = harness;
    this.proxy = proxy;
    this.poller = poller;
    this.root = root;
  }

  static async create(options: FaultWorldOptions): Promise<FaultWorld> {
    const root = options.root ?? TEST_RECIPES;
    const upstream = await startFixtureUpstream({ root });
    const harness = await DistributedHarness.create(options.name, options.redisUrl);
    const proxy = await startS3FaultProxy(testS3Endpoint());
    const noarch = JSON.parse(await readFile(join(root, 'noarch', 'repodata.json'), 'utf8'));
    const poller = new InvariantPoller({
      store: harness.store,
      ...(options.pollIntervalMs === undefined ? {} : { intervalMs: options.pollIntervalMs }),
      knownPackages: knownPackagesOf(
        [noarch, ...(options.extraRepodata ?? [])].map((repodata) => ({ subdir: 'noarch', repodata })),
      ),
    }).start();
    return new FaultWorld(upstream, harness, proxy, poller, root);
  }

  /** The roles' environment: storage through the fault proxy. */
  get roleEnv(): Record<string, string> {
    return { ...this.harness.env, CONDASYNC_S3_ENDPOINT: this.proxy.url };
  }

  startWorkers(count: number): Promise<RunningRole[]> {
    return this.harness.startWorkers(count, { CONDASYNC_S3_ENDPOINT: this.proxy.url });
  }

  /** Starts (or restarts) the API process on `port` (0: any free one). */
  async startApi(port = 0): Promise<RunningRole> {
    this.api = await startRole('api', {
      ...this.roleEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      CONDASYNC_API_TOKENS: API_TOKEN,
      CONDASYNC_UPSTREAM_ALLOW: this.upstream.url,
    });
    const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(this.api.output());
    assert.ok(listening, `the API printed no listening address:\n${this.api.output()}`);
    this.apiBase = listening[1]!;
    return this.api;
  }

  /** POSTs a noarch-only sync of the upstream to the API; returns its id. */
  async postSync(destChannel: string): Promise<string> {
    const response = await fetch(`${this.apiBase}/v1/syncs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channels: [this.upstream.channelUrl()],
        platforms: [],
        dest_channel: destChannel,
        retries: 1,
      }),
    });
    const body = (await response.json()) as { id: string };
    assert.equal(response.status, 202, JSON.stringify(body));
    return body.id;
  }

  /** GET /v1/syncs/:id until it ends; throws naming the last view after `timeoutMs`. */
  async followOverApi(id: string, timeoutMs = 60_000): Promise<SyncView> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const response = await fetch(`${this.apiBase}/v1/syncs/${id}`, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
        });
        last = await response.json();
        if (response.ok && TERMINAL_STATUSES.has((last as SyncView).status)) return last as SyncView;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline)
        throw new Error(`sync ${id} did not end over the API: ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  /** A noarch-only sync of the upstream, submitted as the API does. */
  submit(destChannel: string): Promise<string> {
    return this.harness.submit({
      channels: [this.upstream.channelUrl()],
      platforms: [],
      dest_channel: destChannel,
    });
  }

  slowDownUpstream(bytesPerSecond = 2000): void {
    for (const name of SLOW_PACKAGES)
      this.upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond });
  }

  /** Published noarch repodata of `channel` equals the upstream's, and every package verifies. */
  async assertPublishedInFull(channel: string, root = this.root): Promise<void> {
    const upstream = JSON.parse(await readFile(join(root, 'noarch', 'repodata.json'), 'utf8'));
    const text = await this.harness.storedText(`${channel}/noarch/repodata.json`);
    assert.ok(text !== null, `${channel}/noarch/repodata.json is not published`);
    const published = JSON.parse(text);
    for (const section of ['packages', 'packages.conda']) {
      assert.deepEqual(published[section] ?? {}, upstream[section] ?? {}, `${channel} ${section}`);
      for (const [filename, record] of Object.entries(
        (published[section] ?? {}) as Record<string, { sha256: string }>,
      )) {
        assert.equal(
          await this.harness.storedSha256(`${channel}/noarch/${filename}`),
          record.sha256,
          filename,
        );
      }
    }
  }

  /** ETag of every published metadata object of `channel` (repodata*, shards index, channeldata). */
  async metadataSnapshot(channel: string): Promise<Record<string, string>> {
    const snapshot: Record<string, string> = {};
    for await (const info of this.harness.store.list(`${channel}/`)) {
      if (/(?:repodata[^/]*|channeldata\.json|repodata_shards\.msgpack\.zst)$/.test(info.key)) {
        snapshot[info.key] = info.etag;
      }
    }
    return snapshot;
  }

  /** Stops the poller (after a last round) and asserts it saw no violation. */
  async assertNoViolations(): Promise<void> {
    await this.poller.stop();
    assert.ok(
      this.poller.rounds >= 1,
      `the invariant poller never completed a round: ${this.poller.summary()}`,
    );
    assert.deepEqual(this.poller.violations, [], this.poller.summary());
    this.poller.start();
  }

  async close(): Promise<void> {
    await this.poller.stop();
    await this.api?.stop();
    await this.harness.close();
    await this.proxy.close();
    await this.upstream.close();
  }
}
