// Metadata generations end to end (docs/design.md §5): syncs through the API and a worker record
// generations; `/conda/<channel>@<n>/` serves an older one to a real conda client (py-rattler), a
// rollback publishes it again, and a rollback that would list a missing package is refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import {
  MirrorInstallation,
  type RunningApi,
  runPythonJson,
  testRecipesChannel,
} from '../support/interop.ts';

interface SolvedRecord {
  name: string;
  version: string;
  file_name: string;
  url: string;
}
type JobOutcome = { ok: true; records: SolvedRecord[] } | { ok: false; error: string };

const CHANNEL = 'gens';

describe('metadata generations through the API', () => {
  let upstream: FixtureUpstream;
  let installation: MirrorInstallation;
  let api: RunningApi;
  let scratch: string;
  let upstreamRepodata: string;
  let original: string;
  let firstRepodata: Buffer;
  let firstZst: Buffer;
  let cacheCount = 0;

  const auth = () => ({ authorization: `Bearer ${installation.apiToken}` });
  const syncYaml = () =>
    `channels: [${upstream.channelUrl('test-recipes')}]\nplatforms: [linux-64]\ndest_channel: ${CHANNEL}\n` +
    'pkg_list: [dependency, dependent]\nretries: 1\n';
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${api.base}${path}`, { headers });
  const rollback = (body: unknown) =>
    fetch(`${api.base}/v1/channels/${CHANNEL}/rollback`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** Solves `dependent` for linux-64 against `channel` with py-rattler, from an empty cache. */
  async function solveDependent(channel: string, sharded: boolean): Promise<string[]> {
    cacheCount += 1;
    const { jobs } = await runPythonJson<{ jobs: JobOutcome[] }>('rattler_client.py', [
      JSON.stringify({
        channel,
        cache_dir: join(scratch, `cache-${cacheCount}`),
        sharded,
        jobs: [{ specs: ['dependent'], platform: 'linux-64', prefix: null, mode: 'solve' }],
      }),
    ]);
    const [job] = jobs;
    assert.ok(job?.ok, JSON.stringify(job));
    for (const record of job.records) assert.ok(record.url.startsWith(channel), record.url);
    return job.records.map((r) => r.file_name).sort();
  }

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'condasync-generations-e2e-'));
    await cp(testRecipesChannel, join(scratch, 'upstream', 'test-recipes'), { recursive: true });
    upstreamRepodata = join(scratch, 'upstream', 'test-recipes', 'noarch', 'repodata.json');
    original = await readFile(upstreamRepodata, 'utf8');
    upstream = await startFixtureUpstream({ root: join(scratch, 'upstream') });
    installation = await MirrorInstallation.create('filesystem', 'generations');
    await installation.startWorker();
    api = await installation.startApi(upstream.url);

    // Generation 1: upstream has only the 1.0 builds of dependency and dependent.
    const older = JSON.parse(original) as Record<string, Record<string, unknown>>;
    for (const name of ['dependency-2.0-0.conda', 'dependent-2.0-0.conda'])
      delete older['packages.conda']![name];
    await writeFile(upstreamRepodata, JSON.stringify(older));
    const first = await installation.sync(api, syncYaml());
    assert.equal(first.status, 'succeeded', JSON.stringify(first));
    firstRepodata = Buffer.from(await (await get(`/conda/${CHANNEL}/noarch/repodata.json`)).arrayBuffer());
    firstZst = Buffer.from(await (await get(`/conda/${CHANNEL}/noarch/repodata.json.zst`)).arrayBuffer());

    // Generation 2: the 2.0 builds appear upstream.
    await writeFile(upstreamRepodata, original);
    const second = await installation.sync(api, syncYaml());
    assert.equal(second.status, 'succeeded', JSON.stringify(second));
  });

  after(async () => {
    const codes = await installation.close();
    await upstream.close();
    await rm(scratch, { recursive: true, force: true });
    assert.deepEqual(
      codes,
      codes.map(() => 0),
      'every condasync process stops cleanly',
    );
  });

  test('GET /v1/channels/:channel/generations lists the generations the syncs published', async () => {
    const unchanged = await installation.sync(api, syncYaml());
    assert.equal(unchanged.status, 'succeeded');
    const response = await get(`/v1/channels/${CHANNEL}/generations`, auth());
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      generations: Array<{ n: number; source: string; subdirs: string[]; current: boolean; url: string }>;
    };
    assert.deepEqual(
      body.generations.map((g) => [g.n, g.source.replace(/^sync \S+$/, 'sync'), g.subdirs, g.current, g.url]),
      [
        [1, 'sync', ['linux-64', 'noarch'], false, `/conda/${CHANNEL}@1/`],
        [2, 'sync', ['linux-64', 'noarch'], true, `/conda/${CHANNEL}@2/`],
      ],
      'a sync that changed nothing recorded no generation',
    );
    assert.equal((await get(`/v1/channels/${CHANNEL}/generations`)).status, 401);
    assert.equal((await get('/v1/channels/nothing-here/generations', auth())).status, 404);
  });

  test('/conda/<channel>@1/ serves generation 1 with its bytes and ETag, and 404 names an unknown one', async () => {
    const json = await get(`/conda/${CHANNEL}@1/noarch/repodata.json`);
    assert.equal(json.status, 200);
    const bytes = Buffer.from(await json.arrayBuffer());
    assert.deepEqual(bytes, firstRepodata, 'decompressed from the kept .zst, byte for byte');
    const etag = `"${createHash('sha256').update(firstRepodata).digest('hex')}"`;
    assert.equal(json.headers.get('etag'), etag);
    assert.equal(json.headers.get('content-type'), 'application/json');
    assert.equal(
      (await get(`/conda/${CHANNEL}@1/noarch/repodata.json`, { 'if-none-match': etag })).status,
      304,
    );
    const zst = await get(`/conda/${CHANNEL}@1/noarch/repodata.json.zst`);
    assert.deepEqual(Buffer.from(await zst.arrayBuffer()), firstZst);
    const head = await fetch(`${api.base}/conda/${CHANNEL}@1/noarch/repodata.json`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(firstRepodata.byteLength));
    assert.notDeepEqual(
      Buffer.from(await (await get(`/conda/${CHANNEL}/noarch/repodata.json`)).arrayBuffer()),
      firstRepodata,
    );
    const pkg = await get(`/conda/${CHANNEL}@1/noarch/dependency-1.0-0.conda`);
    assert.equal(pkg.status, 200, 'packages are the channel’s own');
    await pkg.arrayBuffer();

    const unknown = await get(`/conda/${CHANNEL}@7/noarch/repodata.json`);
    assert.equal(unknown.status, 404);
    assert.match(
      ((await unknown.json()) as { error: { message: string } }).error.message,
      /channel gens: generation 7 does not exist; retained generations: 1, 2/,
    );
    const absent = await get(`/conda/${CHANNEL}@1/noarch/repodata.json.bz2`);
    assert.equal(absent.status, 404);
    assert.match(
      ((await absent.json()) as { error: { message: string } }).error.message,
      /generation 1 of channel gens has no noarch\/repodata\.json\.bz2/,
    );
  });

  test('py-rattler pinned to generation 1 resolves the older versions; the channel itself the newer', async () => {
    assert.deepEqual(await solveDependent(`${api.base}/conda/${CHANNEL}@1/`, true), [
      'dependency-1.0-0.conda',
      'dependent-1.0-0.conda',
    ]);
    assert.deepEqual(await solveDependent(`${api.base}/conda/${CHANNEL}@1/`, false), [
      'dependency-1.0-0.conda',
      'dependent-1.0-0.conda',
    ]);
    assert.deepEqual(await solveDependent(`${api.base}/conda/${CHANNEL}/`, true), [
      'dependency-2.0-0.conda',
      'dependent-2.0-0.conda',
    ]);
  });

  test('POST /v1/channels/:channel/rollback publishes generation 1 again as generation 3', async () => {
    assert.equal((await rollback({ generation: 'one' })).status, 400);
    const unknown = await rollback({ generation: 40 });
    assert.equal(unknown.status, 404);

    const response = await rollback({ generation: 1 });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), {
      channel: CHANNEL,
      from: 1,
      generation: 3,
      changed: true,
      subdirs: ['linux-64', 'noarch'],
      countdownsStopped: 2,
    });
    assert.deepEqual(
      Buffer.from(await (await get(`/conda/${CHANNEL}/noarch/repodata.json`)).arrayBuffer()),
      firstRepodata,
    );
    assert.deepEqual(await solveDependent(`${api.base}/conda/${CHANNEL}/`, true), [
      'dependency-1.0-0.conda',
      'dependent-1.0-0.conda',
    ]);

    // Generation 2 lists dependency 2.0; once that file is gone, rolling back to it is refused.
    const mirror = fileURLToPath(installation.env['CONDASYNC_STORAGE_URL']!);
    await rm(join(mirror, CHANNEL, 'noarch', 'dependency-2.0-0.conda'));
    const refused = await rollback({ generation: 2 });
    assert.equal(refused.status, 409);
    const body = (await refused.json()) as {
      error: { code: string; message: string; details: Array<{ path: string; message: string }> };
    };
    assert.equal(body.error.code, 'CONFLICT');
    assert.match(body.error.message, /noarch\/dependency-2\.0-0\.conda \(missing\)/);
    assert.deepEqual(body.error.details, [{ path: 'noarch/dependency-2.0-0.conda', message: 'missing' }]);
    assert.deepEqual(
      Buffer.from(await (await get(`/conda/${CHANNEL}/noarch/repodata.json`)).arrayBuffer()),
      firstRepodata,
      'nothing was published',
    );
  });
});
