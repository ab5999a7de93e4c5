// py-rattler (the library inside pixi) solving and installing environments from channels that
// condasync mirrored and serves. One definition, run once per storage backend by
// rattler-client-filesystem.test.ts and rattler-client-s3.test.ts (two files, so the runner can
// run them side by side).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeShardIndex } from '@condasync/conda';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import {
  condaFormatRepoChannel,
  condaTestData,
  type LoggedRequest,
  MirrorInstallation,
  type RunningApi,
  runPython,
  runPythonJson,
  type StorageBackend,
  testRecipesChannel,
} from '../support/interop.ts';

const CHANNEL_TOKEN = 'interop-channel-token-4f1c9a2b';
const WRONG_TOKEN = 'interop-wrong-token-00000000';
const SHARD_FILE_URL = /\/[0-9a-f]{64}\.msgpack\.zst$/;

interface SolvedRecord {
  name: string;
  version: string;
  build: string;
  subdir: string;
  file_name: string;
  url: string;
  sha256: string | null;
}

type JobOutcome = { ok: true; records: SolvedRecord[] } | { ok: false; error: string };

interface RattlerJob {
  specs: string[];
  platform: string;
  /** Install the result into this folder. */
  prefix: string | null;
  /** `solve`: the solver over platform + noarch; `query`: just the named packages, `.conda` only. */
  mode: 'solve' | 'query';
}

interface UpstreamRecord {
  name: string;
  version: string;
  build: string;
  sha256: string;
  size: number;
}

async function upstreamRecords(channel: string, subdir: string): Promise<Map<string, UpstreamRecord>> {
  const doc = JSON.parse(await readFile(join(channel, subdir, 'repodata.json'), 'utf8')) as Record<
    string,
    Record<string, UpstreamRecord> | undefined
  >;
  return new Map([...Object.entries(doc['packages'] ?? {}), ...Object.entries(doc['packages.conda'] ?? {})]);
}

const sha256Of = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

interface PrefixRecordJson {
  fn: string;
  url: string;
  sha256: string;
  files: string[];
  paths_data: {
    paths: Array<{ _path: string; path_type: string; sha256?: string; prefix_placeholder?: string }>;
  };
}

/**
 * What an installed package left in the prefix: conda-meta/<name>-<version>-<build>.json naming
 * the mirror URL and the archive's sha256, and the `fileCount` files it lists, with the packaged
 * content. (conda's test-recipes packages hold metadata only, so theirs is 0.)
 */
async function assertInstalled(
  prefix: string,
  fn: string,
  url: string,
  sha256: string,
  fileCount = 0,
): Promise<void> {
  const stem = fn.replace(/\.(conda|tar\.bz2)$/, '');
  const meta = JSON.parse(
    await readFile(join(prefix, 'conda-meta', `${stem}.json`), 'utf8'),
  ) as PrefixRecordJson;
  assert.equal(meta.fn, fn);
  assert.equal(meta.url, url, `${fn} was downloaded from the mirror`);
  assert.equal(meta.sha256, sha256, `${fn}: conda-meta sha256`);
  assert.equal(meta.files.length, fileCount, `${fn}: installed files ${JSON.stringify(meta.files)}`);
  for (const file of meta.files) assert.ok((await stat(join(prefix, file))).isFile(), `${fn}: ${file}`);
  for (const entry of meta.paths_data.paths) {
    // Files with a prefix placeholder are rewritten at install time; the rest are copied verbatim.
    if (entry.path_type !== 'hardlink' || entry.prefix_placeholder !== undefined || !entry.sha256) continue;
    assert.equal(await sha256Of(join(prefix, entry._path)), entry.sha256, `${fn}: content of ${entry._path}`);
  }
}

const shardIndexRequests = (requests: LoggedRequest[], channel: string) =>
  requests.filter(
    (r) => r.url.startsWith(`/conda/${channel}/`) && r.url.endsWith('/repodata_shards.msgpack.zst'),
  );
const classicRepodataRequests = (requests: LoggedRequest[], channel: string) =>
  requests.filter(
    (r) =>
      r.method === 'GET' &&
      /\/repodata\.json(\.zst|\.bz2)?$/.test(r.url) &&
      r.url.startsWith(`/conda/${channel}/`),
  );

export function defineRattlerClientSuite(backend: StorageBackend): void {
  describe(`py-rattler solves and installs from the mirror (${backend} storage)`, () => {
    let upstream: FixtureUpstream;
    let installation: MirrorInstallation;
    /** Channels are public on this API. */
    let open: RunningApi;
    /** This API serves the same storage, but only to `/t/<CHANNEL_TOKEN>/…` URLs. */
    let guarded: RunningApi;
    let scratch: string;
    let recipes: Map<string, UpstreamRecord>;
    let scratchCount = 0;

    /** A path under the scratch folder that no other run uses (the tools create it). */
    const freshDir = (name: string): string => {
      scratchCount += 1;
      return join(scratch, `${name}-${scratchCount}`);
    };

    /** Runs rattler_client.py with its own empty cache, so every run fetches from the server. */
    async function rattler(channel: string, sharded: boolean, jobs: RattlerJob[]): Promise<JobOutcome[]> {
      const result = await runPythonJson<{ jobs: JobOutcome[] }>('rattler_client.py', [
        JSON.stringify({ channel, cache_dir: freshDir('cache'), sharded, jobs }),
      ]);
      return result.jobs;
    }

    const expectedSolution = (base: string, names: string[]) =>
      names.map((fn) => {
        const record = recipes.get(fn)!;
        return {
          name: record.name,
          version: record.version,
          build: record.build,
          subdir: 'noarch',
          file_name: fn,
          url: `${base}/noarch/${fn}`,
          sha256: record.sha256,
        };
      });
    // `dependent` needs `dependency >=2.0,<3.0a0` in version 2.0; the solver picks the newest of each.
    const ANOTHER_DEPENDENT_SOLUTION = [
      'another_dependent-2.0-0.conda',
      'dependency-2.0-0.conda',
      'dependent-2.0-0.conda',
    ];

    before(async () => {
      upstream = await startFixtureUpstream({ root: condaTestData });
      installation = await MirrorInstallation.create(backend, `rattler-${backend === 's3' ? 's3' : 'fs'}`);
      scratch = await mkdtemp(join(tmpdir(), 'condasync-rattler-'));
      recipes = await upstreamRecords(testRecipesChannel, 'noarch');
      await installation.startWorker();
      [open, guarded] = await Promise.all([
        installation.startApi(upstream.url),
        installation.startApi(upstream.url, { CONDASYNC_CHANNEL_TOKENS: CHANNEL_TOKEN }),
      ]);
      const [recipesSync, formatsSync] = await Promise.all([
        installation.sync(
          open,
          `channels: [${upstream.channelUrl('test-recipes')}]\nplatforms: [linux-64]\ndest_channel: recipes\nretries: 1\n`,
        ),
        installation.sync(
          open,
          `channels: [${upstream.channelUrl('conda_format_repo')}]\nplatforms: [linux-64, osx-64, win-64]\ndest_channel: formats\nretries: 1\nrepodata_bz2: true\n`,
        ),
      ]);
      assert.equal(recipesSync.status, 'succeeded', JSON.stringify(recipesSync));
      assert.equal(recipesSync.counts.downloaded, recipes.size);
      // conda's fixture lists packages it does not ship (libgcc-ng, vc, vs2015_runtime, zlib 1.2.8):
      // those fail with a 404 and are left out of the published repodata.
      assert.equal(formatsSync.status, 'partial', JSON.stringify(formatsSync));
      assert.deepEqual(formatsSync.failures.map((f) => f.filename).sort(), [
        'libgcc-ng-8.2.0-hdf63c60_1.tar.bz2',
        'vc-14.1-h0510ff6_4.tar.bz2',
        'vs2015_runtime-14.15.26706-h3a45250_4.tar.bz2',
        'zlib-1.2.8-0.tar.bz2',
      ]);
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

    test('classic repodata: another_dependent and zlib solve and install from repodata.json', async () => {
      const channel = `${open.base}/conda/recipes`;
      const formats = `${open.base}/conda/formats`;
      const envRecipes = freshDir('env');
      const envZlib = freshDir('env');
      const mark = open.mark();
      const [recipesJob] = await rattler(`${channel}/`, false, [
        { specs: ['another_dependent'], platform: 'linux-64', prefix: envRecipes, mode: 'solve' },
      ]);
      const [zlibSolve, zlibLinux, zlibWindows] = await rattler(`${formats}/`, false, [
        { specs: ['zlib'], platform: 'linux-64', prefix: null, mode: 'solve' },
        { specs: ['zlib'], platform: 'linux-64', prefix: null, mode: 'query' },
        { specs: ['zlib'], platform: 'win-64', prefix: envZlib, mode: 'query' },
      ]);

      assert.ok(recipesJob?.ok, JSON.stringify(recipesJob));
      assert.deepEqual(recipesJob.records, expectedSolution(channel, ANOTHER_DEPENDENT_SOLUTION));
      for (const record of recipesJob.records) {
        await assertInstalled(envRecipes, record.file_name, record.url, record.sha256!);
      }

      // zlib on linux-64 needs libgcc-ng, which upstream lists but does not serve: the mirror keeps
      // zlib's dependency as published and leaves out the package it could not fetch.
      assert.equal(zlibSolve?.ok, false);
      assert.match(zlibSolve.error, /libgcc-ng >=7\.3\.0, for which no candidates were found/);
      const linux = await upstreamRecords(condaFormatRepoChannel, 'linux-64');
      assert.ok(zlibLinux?.ok, JSON.stringify(zlibLinux));
      assert.deepEqual(
        zlibLinux.records.map((r) => [r.file_name, r.url, r.sha256]),
        [
          [
            'zlib-1.2.11-h7b6447c_3.conda',
            `${formats}/linux-64/zlib-1.2.11-h7b6447c_3.conda`,
            linux.get('zlib-1.2.11-h7b6447c_3.conda')!.sha256,
          ],
        ],
      );
      // Installed from win-64: the linux-64 and osx-64 zlib archives hold symlinks with an empty
      // target that py-rattler 0.28 refuses to unpack (it fails the same way on conda's channel).
      const windows = await upstreamRecords(condaFormatRepoChannel, 'win-64');
      assert.ok(zlibWindows?.ok, JSON.stringify(zlibWindows));
      assert.deepEqual(
        zlibWindows.records.map((r) => r.file_name),
        ['zlib-1.2.11-h62dcd97_3.conda'],
      );
      await assertInstalled(
        envZlib,
        'zlib-1.2.11-h62dcd97_3.conda',
        `${formats}/win-64/zlib-1.2.11-h62dcd97_3.conda`,
        windows.get('zlib-1.2.11-h62dcd97_3.conda')!.sha256,
        9,
      );

      const requests = await open.requestsSince(mark);
      assert.deepEqual(shardIndexRequests(requests, 'recipes'), [], 'sharded repodata was turned off');
      assert.ok(
        classicRepodataRequests(requests, 'recipes').some(
          (r) => r.url.includes('/noarch/') && r.status === 200,
        ),
        JSON.stringify(requests),
      );
      const failed = requests.filter(
        (r) => r.status !== 200 && !(r.status === 404 && /\.(bz2|zst)$/.test(r.url)),
      );
      assert.deepEqual(failed, [], 'only optional variants may be missing');
    });

    test('repodata.json.bz2 (repodata_bz2: true): libbz2 restores exactly the served repodata.json', async () => {
      const formats = `${open.base}/conda/formats`;
      // CPython's bz2 module is libbz2, the decoder conda-era clients used for this file.
      const script = [
        'import bz2, hashlib, json, sys, urllib.request',
        'out = {}',
        'for subdir in sys.argv[2:]:',
        '    base = f"{sys.argv[1]}/{subdir}/repodata.json"',
        '    plain = urllib.request.urlopen(base).read()',
        '    packed = urllib.request.urlopen(base + ".bz2").read()',
        '    out[subdir] = [hashlib.sha256(bz2.decompress(packed)).hexdigest(), hashlib.sha256(plain).hexdigest(), len(plain)]',
        'print(json.dumps(out))',
      ].join('\n');
      const subdirs = ['linux-64', 'osx-64', 'win-64', 'noarch'];
      const { stdout } = await runPython(['-c', script, formats, ...subdirs]);
      const digests = JSON.parse(stdout.trim()) as Record<string, [string, string, number]>;
      for (const subdir of subdirs) {
        const [fromBz2, fromJson, size] = digests[subdir]!;
        assert.equal(fromBz2, fromJson, `${subdir}: the .bz2 holds the same bytes as repodata.json`);
        assert.ok(size > 0);
      }
      // Only the channel that asked for it has one: optional files that are off answer 404.
      const absent = await fetch(`${open.base}/conda/recipes/noarch/repodata.json.bz2`, { method: 'HEAD' });
      assert.equal(absent.status, 404);
    });

    test('sharded repodata (CEP 16): rattler solves from the shard index and the shards alone', async () => {
      const channel = `${open.base}/conda/recipes`;
      const env = freshDir('env');
      const mark = open.mark();
      const [job] = await rattler(`${channel}/`, true, [
        { specs: ['another_dependent'], platform: 'linux-64', prefix: env, mode: 'solve' },
      ]);
      assert.ok(job?.ok, JSON.stringify(job));
      assert.deepEqual(job.records, expectedSolution(channel, ANOTHER_DEPENDENT_SOLUTION));
      for (const record of job.records)
        await assertInstalled(env, record.file_name, record.url, record.sha256!);

      const requests = await open.requestsSince(mark);
      const indexRequests = shardIndexRequests(requests, 'recipes');
      assert.deepEqual(
        indexRequests.map((r) => `${r.method} ${r.url}`).sort(),
        [
          'GET /conda/recipes/linux-64/repodata_shards.msgpack.zst',
          'GET /conda/recipes/noarch/repodata_shards.msgpack.zst',
        ],
        'the client fetched the shard index of both subdirs',
      );
      assert.deepEqual(
        indexRequests.map((r) => r.status),
        [200, 200],
      );
      const index = decodeShardIndex(
        new Uint8Array(await (await fetch(`${channel}/noarch/repodata_shards.msgpack.zst`)).arrayBuffer()),
      );
      const wanted = ['another_dependent', 'dependency', 'dependent'].map((name) => index.shards.get(name));
      const shardRequests = requests.filter((r) => SHARD_FILE_URL.test(r.url));
      assert.deepEqual(
        shardRequests.map((r) => /([0-9a-f]{64})\.msgpack\.zst$/.exec(r.url)?.[1]).sort(),
        [...wanted].sort(),
        'exactly the shards of the packages in the solution',
      );
      assert.ok(shardRequests.every((r) => r.status === 200));
      assert.deepEqual(classicRepodataRequests(requests, 'recipes'), [], 'no repodata.json needed');
    });

    test('token URLs: /t/<token>/conda/… solves and installs; a wrong or missing token fails', async () => {
      const channel = `${guarded.base}/t/${CHANNEL_TOKEN}/conda/recipes`;
      const env = freshDir('env');
      const [good] = await rattler(`${channel}/`, true, [
        { specs: ['another_dependent'], platform: 'linux-64', prefix: env, mode: 'solve' },
      ]);
      assert.ok(good?.ok, JSON.stringify(good));
      assert.deepEqual(good.records, expectedSolution(channel, ANOTHER_DEPENDENT_SOLUTION));
      for (const record of good.records)
        await assertInstalled(env, record.file_name, record.url, record.sha256!);

      const job: RattlerJob = {
        specs: ['another_dependent'],
        platform: 'linux-64',
        prefix: null,
        mode: 'solve',
      };
      const [wrongSharded] = await rattler(`${guarded.base}/t/${WRONG_TOKEN}/conda/recipes/`, true, [job]);
      const [wrongClassic] = await rattler(`${guarded.base}/t/${WRONG_TOKEN}/conda/recipes/`, false, [job]);
      const [missing] = await rattler(`${guarded.base}/conda/recipes/`, true, [job]);
      for (const outcome of [wrongSharded, wrongClassic, missing]) {
        assert.equal(outcome?.ok, false);
        assert.match(outcome.error, /401 Unauthorized/);
      }
      assert.doesNotMatch(
        guarded.role.output(),
        new RegExp(CHANNEL_TOKEN),
        'the token never reaches the log',
      );
      assert.doesNotMatch(guarded.role.output(), new RegExp(WRONG_TOKEN));
    });
  });
}
