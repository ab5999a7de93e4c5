import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { copyFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  buildShards,
  filterPackages,
  type PackageRecordJson,
  type RepodataEntry,
  readRepodata,
  type SubdirRecords,
} from '@condasync/conda';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { MirrorErrorCode } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { channelSource } from '../../src/upstream/channel-source.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import {
  fetchShardedRecords,
  type ShardedChannelRecords,
  type ShardedRepodataOptions,
} from '../../src/upstream/sharded-repodata.ts';
import { condaFormatRepo, scratch, testRecipes } from '../sync-helpers.ts';

type Records = Map<string, Map<string, PackageRecordJson>>;

/** The real conda fixture's linux-64 shards (conda-index layout: `shards_base_url: ""`). */
const ZLIB_SHARD = 'linux-64/56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157.msgpack.zst';
const LIBGCC_SHARD = 'linux-64/2dcdacf7009b4f1c21f452c5079384340257e0e1cbecb8ec484984d1fa85b115.msgpack.zst';
const INDEX = 'repodata_shards.msgpack.zst';

let work: { dir: string; cleanup: () => Promise<void> };
let channelRoot: string;
let upstream: FixtureUpstream;
let http: UpstreamHttp;
/** noarch package name → channel-relative path of its shard (written by buildShards). */
const noarchShard = new Map<string, string>();
/** A derived platform subdir (see `before`), its package name → shard path. */
const PLATFORM = 'linux-aarch64';
const platformShard = new Map<string, string>();
let cacheCount = 0;

/**
 * A channel with conda_format_repo's subdirs (linux-64 carries conda's real shard fixture; osx-64
 * has no shard index) and test-recipes' noarch repodata, sharded with libs/conda in the
 * rattler-index layout (`./shards/`).
 */
before(async () => {
  work = await scratch('sharded-fetch');
  channelRoot = join(work.dir, 'upstream');
  await cp(condaFormatRepo, channelRoot, { recursive: true });
  await copyFile(join(testRecipes, 'noarch/repodata.json'), join(channelRoot, 'noarch/repodata.json'));
  const entries: RepodataEntry[] = [];
  await readRepodata(
    createReadStream(join(channelRoot, 'noarch/repodata.json')),
    { subdir: 'noarch' },
    (entry) => {
      entries.push(entry);
    },
  );
  const built = await buildShards('noarch', entries);
  await mkdir(join(channelRoot, 'noarch/shards'), { recursive: true });
  for (const shard of built.shards) {
    const relPath = `noarch/shards/${shard.name}.msgpack.zst`;
    await writeFile(join(channelRoot, relPath), shard.bytes);
    noarchShard.set(shard.packageName, relPath);
  }
  await writeFile(join(channelRoot, 'noarch', INDEX), built.index);

  // A platform subdir that also builds `dependent` and `dependency` (the noarch records relabelled),
  // so dependencies cross from noarch to a platform and back.
  const platformEntries = entries
    .filter((entry) => entry.record.name === 'dependent' || entry.record.name === 'dependency')
    .map((entry) => {
      const { noarch: _noarch, ...record } = entry.record;
      return { ...entry, record: { ...record, subdir: PLATFORM } as PackageRecordJson };
    });
  await mkdir(join(channelRoot, PLATFORM, 'shards'), { recursive: true });
  await writeFile(
    join(channelRoot, PLATFORM, 'repodata.json'),
    JSON.stringify({
      info: { subdir: PLATFORM },
      packages: {},
      'packages.conda': Object.fromEntries(platformEntries.map((entry) => [entry.filename, entry.record])),
    }),
  );
  const platformBuilt = await buildShards(PLATFORM, platformEntries);
  for (const shard of platformBuilt.shards) {
    const relPath = `${PLATFORM}/shards/${shard.name}.msgpack.zst`;
    await writeFile(join(channelRoot, relPath), shard.bytes);
    platformShard.set(shard.packageName, relPath);
  }
  await writeFile(join(channelRoot, PLATFORM, INDEX), platformBuilt.index);
  upstream = await startFixtureUpstream({ root: channelRoot });
  http = new UpstreamHttp({ throughputWindowMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
});

after(async () => {
  await http.close();
  await upstream.close();
  await work.cleanup();
});

function options(overrides: Partial<ShardedRepodataOptions> = {}): ShardedRepodataOptions {
  return {
    http,
    cacheDir: join(work.dir, `cache-${++cacheCount}`),
    includeDependencies: false,
    retries: 1,
    deadlineMs: 5_000,
    minBytesPerSecond: 1,
    logger: silentLogger,
    ...overrides,
  };
}

async function fetchFrom(
  subdirs: string[],
  roots: string[],
  opts: ShardedRepodataOptions,
): Promise<ShardedChannelRecords | null> {
  upstream.resetCounts();
  return fetchShardedRecords(channelSource(upstream.channelUrl()), subdirs, roots, opts);
}

/** Every request the fixture upstream saw, as `path → count`, sorted. */
function requested(): Record<string, number> {
  return Object.fromEntries([...upstream.requests.byPath].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The full repodata.json of each subdir, as the plan step reads it today. */
async function fullRepodata(subdirs: string[]): Promise<Records> {
  const out: Records = new Map();
  for (const subdir of subdirs) {
    const records = new Map<string, PackageRecordJson>();
    await readRepodata(createReadStream(join(channelRoot, subdir, 'repodata.json')), { subdir }, (entry) => {
      records.set(entry.filename, entry.record);
    });
    out.set(subdir, records);
  }
  return out;
}

function selection(
  records: Records,
  pkgList: string[],
  includeDependencies: boolean,
): Record<string, string[]> {
  // The plan step casts the same way: a validated repodata record has every filterable field.
  const { selected } = filterPackages(records as unknown as SubdirRecords, { pkgList, includeDependencies });
  return Object.fromEntries([...selected].map(([subdir, files]) => [subdir, [...files].sort()]));
}

/** The full repodata's records of the names the shards covered: what the shards must equal. */
function restrictToNames(full: Records, names: Map<string, string[]>): Records {
  const out: Records = new Map();
  for (const [subdir, records] of full) {
    const wanted = new Set(names.get(subdir));
    out.set(subdir, new Map([...records].filter(([, record]) => wanted.has(record.name))));
  }
  return out;
}

describe('fetchShardedRecords', () => {
  test('pkg_list + include_dependencies reads exactly the closure shards, then only revalidates the index', async () => {
    const subdirs = ['linux-64', 'noarch'];
    const opts = options({ includeDependencies: true });
    const result = await fetchFrom(subdirs, ['another_dependent'], opts);
    assert.ok(result !== null);
    assert.deepEqual(requested(), {
      [`linux-64/${INDEX}`]: 1,
      [`noarch/${INDEX}`]: 1,
      [noarchShard.get('another_dependent') as string]: 1,
      [noarchShard.get('dependency') as string]: 1,
      [noarchShard.get('dependent') as string]: 1,
    });
    assert.deepEqual(Object.fromEntries(result.names), {
      'linux-64': [],
      noarch: ['another_dependent', 'dependency', 'dependent'],
    });
    assert.deepEqual(result.stats, {
      indexes: 2,
      indexesNotModified: 0,
      shardsFetched: 3,
      shardsFromCache: 0,
      shardBytes: result.stats.shardBytes,
      corruptAnswers: 0,
    });
    assert.ok(result.stats.shardBytes > 0);

    const full = await fullRepodata(subdirs);
    assert.deepEqual(result.records, restrictToNames(full, result.names));
    const expected = {
      'linux-64': [],
      noarch: [
        'another_dependent-1.0-0.conda',
        'another_dependent-2.0-0.conda',
        'dependency-1.0-0.conda',
        'dependency-2.0-0.conda',
        'dependent-1.0-0.conda',
        'dependent-2.0-0.conda',
      ],
    };
    assert.deepEqual(selection(full, ['another_dependent'], true), expected);
    assert.deepEqual(selection(result.records, ['another_dependent'], true), expected);
    assert.deepEqual(result.headers.get('noarch'), {
      info: { subdir: 'noarch' },
      repodataVersion: 1,
      removed: [],
      extra: {},
    });

    // Second run, same cache: both indexes answer 304 and no shard is requested.
    const again = await fetchFrom(subdirs, ['another_dependent'], opts);
    assert.ok(again !== null);
    assert.deepEqual(requested(), { [`linux-64/${INDEX}`]: 1, [`noarch/${INDEX}`]: 1 });
    assert.equal(again.stats.indexesNotModified, 2);
    assert.equal(again.stats.shardsFromCache, 3);
    assert.equal(again.stats.shardsFetched, 0);
    assert.deepEqual(again.records, result.records);
  });

  test('a glob root reads the shard of every matching name in the index', async () => {
    const result = await fetchFrom(['noarch'], ['post_link-*'], options());
    assert.ok(result !== null);
    assert.deepEqual(result.names.get('noarch'), [
      'post_link-b',
      'post_link-c',
      'post_link-d',
      'post_link-e',
    ]);
    assert.equal(upstream.requests.total, 5);
    const full = await fullRepodata(['noarch']);
    assert.deepEqual(result.records, restrictToNames(full, result.names));
    assert.deepEqual(
      selection(result.records, ['post_link-*'], false),
      selection(full, ['post_link-*'], false),
    );
    assert.equal(selection(full, ['post_link-*'], false)['noarch']?.length, 4);
  });

  test('a MatchSpec root reads its name; the filter then picks the versions, as with full repodata', async () => {
    const roots = ['dependent >=2'];
    const result = await fetchFrom(['noarch'], roots, options({ includeDependencies: true }));
    assert.ok(result !== null);
    assert.deepEqual(result.names.get('noarch'), ['dependency', 'dependent']);
    const full = await fullRepodata(['noarch']);
    const expected = { noarch: ['dependency-2.0-0.conda', 'dependent-2.0-0.conda'] };
    assert.deepEqual(selection(full, roots, true), expected);
    assert.deepEqual(selection(result.records, roots, true), expected);
  });

  test("conda's real linux-64 shards: a platform record's depends resolve in its subdir and noarch", async () => {
    const subdirs = ['linux-64', 'noarch'];
    const result = await fetchFrom(subdirs, ['zlib'], options({ includeDependencies: true }));
    assert.ok(result !== null);
    // zlib depends on libgcc-ng, found in linux-64; noarch has neither name, so nothing is asked there.
    assert.deepEqual(requested(), {
      [LIBGCC_SHARD]: 1,
      [`linux-64/${INDEX}`]: 1,
      [ZLIB_SHARD]: 1,
      [`noarch/${INDEX}`]: 1,
    });
    const full = await fullRepodata(subdirs);
    assert.deepEqual(result.records, restrictToNames(full, result.names));
    assert.deepEqual([...(result.records.get('linux-64')?.keys() ?? [])].sort(), [
      'libgcc-ng-8.2.0-hdf63c60_1.tar.bz2',
      'zlib-1.2.11-h7b6447c_3.conda',
      'zlib-1.2.11-h7b6447c_3.tar.bz2',
    ]);
    assert.deepEqual(selection(result.records, ['zlib'], true), selection(full, ['zlib'], true));
  });

  test("a noarch record's depends resolve in noarch and every platform; a platform record's in its own and noarch", async () => {
    const subdirs = [PLATFORM, 'noarch'];
    const result = await fetchFrom(subdirs, ['another_dependent'], options({ includeDependencies: true }));
    assert.ok(result !== null);
    assert.deepEqual(Object.fromEntries(result.names), {
      [PLATFORM]: ['dependency', 'dependent'],
      noarch: ['another_dependent', 'dependency', 'dependent'],
    });
    assert.deepEqual(requested(), {
      [`${PLATFORM}/${INDEX}`]: 1,
      [platformShard.get('dependency') as string]: 1,
      [platformShard.get('dependent') as string]: 1,
      [`noarch/${INDEX}`]: 1,
      [noarchShard.get('another_dependent') as string]: 1,
      [noarchShard.get('dependency') as string]: 1,
      [noarchShard.get('dependent') as string]: 1,
    });
    const full = await fullRepodata(subdirs);
    assert.deepEqual(result.records, restrictToNames(full, result.names));
    const selected = selection(result.records, ['another_dependent'], true);
    assert.deepEqual(selected, selection(full, ['another_dependent'], true));
    assert.equal(selected[PLATFORM]?.length, 4);

    // Rooted on the platform side, noarch is searched too; the noarch records found there then
    // reach back into the platform (the filter's rule, applied to what gets fetched).
    const fromPlatform = await fetchFrom(subdirs, ['dependent'], options({ includeDependencies: true }));
    assert.ok(fromPlatform !== null);
    assert.deepEqual(fromPlatform.names.get(PLATFORM), ['dependency', 'dependent']);
    assert.deepEqual(fromPlatform.names.get('noarch'), ['dependency', 'dependent']);
  });

  test('a file:// channel gives the same records as the same channel over HTTP', async () => {
    const roots = ['another_dependent', 'zlib'];
    const overHttp = await fetchFrom(['linux-64', 'noarch'], roots, options({ includeDependencies: true }));
    const local = await fetchShardedRecords(
      channelSource(pathToFileURL(channelRoot).href),
      ['linux-64', 'noarch'],
      roots,
      options({ includeDependencies: true }),
    );
    assert.ok(overHttp !== null && local !== null);
    assert.deepEqual(local.records, overHttp.records);
    assert.equal(local.records.get('noarch')?.size, 6);
  });

  test('an upstream subdir without a shard index gives null and no shard is read', async () => {
    const result = await fetchFrom(['noarch', 'osx-64'], ['zlib'], options({ includeDependencies: true }));
    assert.equal(result, null);
    assert.deepEqual(requested(), { [`noarch/${INDEX}`]: 1, [`osx-64/${INDEX}`]: 1 });
  });

  test('a closure past maxShards gives null (the full repodata is then the cheaper read)', async () => {
    const result = await fetchFrom(
      ['noarch'],
      ['another_dependent'],
      options({ includeDependencies: true, maxShards: 2 }),
    );
    assert.equal(result, null);
  });

  test('a shard record that fails validation is reported and skipped; the rest of the shard is kept', async () => {
    const entries: RepodataEntry[] = [];
    await readRepodata(
      createReadStream(join(channelRoot, 'noarch/repodata.json')),
      { subdir: 'noarch' },
      (entry) => {
        if (entry.record.name === 'dependency') entries.push(entry);
      },
    );
    const [first, second] = entries as [RepodataEntry, RepodataEntry];
    const broken = { ...second, record: { ...second.record, size: -1 } };
    const built = await buildShards('noarch', [first, broken]);
    const root = join(work.dir, 'one-bad-record');
    await mkdir(join(root, 'noarch/shards'), { recursive: true });
    for (const shard of built.shards) {
      await writeFile(join(root, `noarch/shards/${shard.name}.msgpack.zst`), shard.bytes);
    }
    await writeFile(join(root, 'noarch', INDEX), built.index);

    const refused: string[] = [];
    const result = await fetchShardedRecords(
      channelSource(pathToFileURL(root).href),
      ['noarch'],
      ['dependency'],
      options({ onInvalidRecord: (_channel, subdir, error) => refused.push(`${subdir}: ${error.message}`) }),
    );
    assert.ok(result !== null);
    assert.deepEqual([...(result.records.get('noarch')?.keys() ?? [])], [first.filename]);
    assert.deepEqual(result.records.get('noarch')?.get(first.filename), first.record);
    assert.equal(refused.length, 1);
    assert.match(refused[0] as string, new RegExp(`^noarch: .*${second.filename}.*"size"`));
  });

  test('a shard that does not hash to its name is fetched once more, then refused', async () => {
    const path = noarchShard.get('dependent') as string;
    try {
      upstream.setFault(path, { type: 'corrupt' });
      await assert.rejects(
        fetchFrom(['noarch'], ['dependent'], options()),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, MirrorErrorCode.ChecksumMismatch);
          assert.match(error.message, /shard bytes hash to [0-9a-f]{64}, expected [0-9a-f]{64}.*2 attempts/);
          return true;
        },
      );
      assert.equal(upstream.requests.count(path), 2);

      // A single bad answer costs one refetch, and the good bytes are what gets cached.
      upstream.setFault(path, { type: 'corrupt', times: 1 });
      const opts = options();
      const result = await fetchFrom(['noarch'], ['dependent'], opts);
      assert.ok(result !== null);
      assert.equal(upstream.requests.count(path), 2);
      assert.equal(result.stats.corruptAnswers, 1);
      assert.equal(result.records.get('noarch')?.size, 2);
      const again = await fetchFrom(['noarch'], ['dependent'], opts);
      assert.equal(upstream.requests.count(path), 0);
      assert.equal(again?.stats.shardsFromCache, 1);
    } finally {
      upstream.setFault(path, null);
    }
  });
});
