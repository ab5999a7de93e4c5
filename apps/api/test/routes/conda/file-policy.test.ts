import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelFilePolicy } from '../../../src/routes/conda/file-policy.ts';

const SHARD = `${'ab'.repeat(32)}.msgpack.zst`;

describe('channelFilePolicy', () => {
  it('maps paths to keys and sorts files into kinds', () => {
    const cases: Array<[Parameters<typeof channelFilePolicy>[0], string, string]> = [
      [{ channel: 'cf', subdir: 'linux-64', file: 'repodata.json' }, 'cf/linux-64/repodata.json', 'repodata'],
      [
        { channel: 'cf', subdir: 'linux-64', file: 'current_repodata.json.zst' },
        'cf/linux-64/current_repodata.json.zst',
        'repodata',
      ],
      [
        { channel: 'cf', subdir: 'linux-64', file: 'repodata.json.bz2' },
        'cf/linux-64/repodata.json.bz2',
        'repodata',
      ],
      [
        { channel: 'cf', subdir: 'noarch', file: 'repodata_shards.msgpack.zst' },
        'cf/noarch/repodata_shards.msgpack.zst',
        'repodata',
      ],
      [{ channel: 'cf', file: 'channeldata.json' }, 'cf/channeldata.json', 'repodata'],
      [
        { channel: 'cf', subdir: 'noarch', file: 'tzdata-2024a-h0c530f3_0.conda' },
        'cf/noarch/tzdata-2024a-h0c530f3_0.conda',
        'package',
      ],
      [
        { channel: 'cf', subdir: 'win-64', file: 'vs2015_runtime-14.29.30139-h890b9b1_7.tar.bz2' },
        'cf/win-64/vs2015_runtime-14.29.30139-h890b9b1_7.tar.bz2',
        'package',
      ],
      [{ channel: 'cf', subdir: 'linux-64', file: SHARD }, `cf/linux-64/${SHARD}`, 'shard'],
      [
        { channel: 'cf', subdir: 'linux-64', inShardsFolder: true, file: SHARD },
        `cf/linux-64/shards/${SHARD}`,
        'shard',
      ],
      [{ channel: 'cf', file: 'index.html' }, 'cf/index.html', 'other'],
    ];
    for (const [path, key, kind] of cases) {
      const policy = channelFilePolicy(path, 60);
      assert.equal(policy?.key, key);
      assert.equal(policy?.kind, kind, key);
    }
    assert.equal(
      channelFilePolicy({ channel: 'cf', file: 'index.html' }, 60)?.contentType,
      'application/octet-stream',
    );
    assert.equal(channelFilePolicy({ channel: 'cf', file: 'a.json' }, 60)?.gzippable, true);
    assert.equal(channelFilePolicy({ channel: 'cf', file: 'a.json.zst' }, 60)?.gzippable, false);
    const bz2 = channelFilePolicy({ channel: 'cf', subdir: 'linux-64', file: 'repodata.json.bz2' }, 60);
    assert.deepEqual(
      { contentType: bz2?.contentType, cacheControl: bz2?.cacheControl, gzippable: bz2?.gzippable },
      { contentType: 'application/x-bzip2', cacheControl: 'public, max-age=60', gzippable: false },
    );
  });

  it('refuses names that are not channel files', () => {
    for (const path of [
      { channel: '.condasync', subdir: 'x', file: 'y.json' },
      { channel: '..', subdir: 'x', file: 'y.json' },
      { channel: 'cf', subdir: '..', file: 'y.json' },
      { channel: 'cf', subdir: 'noarch', file: '../y.json' },
      { channel: 'cf', subdir: 'noarch', file: 'a..b.conda' },
      { channel: 'cf', subdir: 'noarch', file: '.hidden' },
      { channel: 'cf', subdir: 'noarch', file: 'a b.conda' },
      { channel: 'cf', subdir: 'noarch', file: 'a\u0000.conda' },
      { channel: 'c/f', subdir: 'noarch', file: 'a.conda' },
      { channel: 'cf', subdir: 'noarch', inShardsFolder: true, file: 'repodata.json' },
      { channel: 'cf', inShardsFolder: true, file: SHARD },
    ]) {
      assert.equal(channelFilePolicy(path, 60), null, JSON.stringify(path));
    }
  });
});
