import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import {
  listBrowseSummaries,
  readBrowseDetails,
  readBrowseIndex,
  writeBrowseIndex,
} from '../../src/outputs/browse-index.ts';

const record = (name: string, version: string, timestamp: number, license = 'MIT') => ({
  name,
  version,
  build: 'h0_0',
  build_number: 0,
  depends: [`dep-of-${name}`],
  license,
  size: 100,
  sha256: 'c'.repeat(64),
  timestamp,
});
const entries = (records: ReturnType<typeof record>[]) =>
  records.map((r, i) => ({
    filename: `${r.name}-${r.version}-${r.build}.${i % 2 === 0 ? 'conda' : 'tar.bz2'}`,
    json: JSON.stringify(r),
  }));

describe('browse index', () => {
  let dir: string;
  let store: FsObjectStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-browse-'));
    store = new FsObjectStore({ root: dir });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const keys = async () => {
    const found: string[] = [];
    for await (const info of store.list('.condasync/browse/')) found.push(info.key);
    return found.sort();
  };

  it('indexes records by name, newest first, and reads back one name’s records alone', async () => {
    const summary = await writeBrowseIndex(
      {
        channelPrefix: 'chan/',
        subdir: 'linux-64',
        repodataSha256: '1'.repeat(64),
        entries: entries([
          record('zlib', '1.2', 10),
          record('abc', '1.0', 5, 'GPL'),
          record('zlib', '1.3', 20),
          record('abc', '0.9', 1),
        ]),
        now: Date.parse('2026-05-06T07:08:09Z'),
      },
      { store },
    );
    assert.deepEqual(summary, {
      format: 1,
      channel: 'chan',
      subdir: 'linux-64',
      records: 4,
      names: 2,
      bytes: 400,
      publishedAt: '2026-05-06T07:08:09.000Z',
      repodataSha256: '1'.repeat(64),
    });
    const { index } = (await readBrowseIndex(store, 'chan', 'linux-64'))!;
    assert.deepEqual(index.names, ['abc', 'zlib']);
    assert.deepEqual(index.version, ['1.0', '0.9', '1.3', '1.2']);
    assert.deepEqual(index.licenses, ['', 'GPL', 'MIT']);
    assert.deepEqual(index.license, [1, 2, 2, 2]);
    const zlib = await readBrowseDetails(store, 'chan', index, 1);
    assert.deepEqual(
      zlib.map((d) => [d.fn, d.depends, d.sha256]),
      [
        ['zlib-1.3-h0_0.conda', ['dep-of-zlib'], 'c'.repeat(64)],
        ['zlib-1.2-h0_0.conda', ['dep-of-zlib'], 'c'.repeat(64)],
      ],
    );
    assert.deepEqual(
      (await listBrowseSummaries(store)).map((s) => `${s.channel}/${s.subdir}`),
      ['chan/linux-64'],
    );
  });

  it('rewrites only the summary when the repodata is unchanged, and drops the old details file when it changed', async () => {
    const before = await keys();
    const indexBefore = await store.head('.condasync/browse/chan/linux-64/index.json.gz');
    const again = await writeBrowseIndex(
      {
        channelPrefix: 'chan/',
        subdir: 'linux-64',
        repodataSha256: '1'.repeat(64),
        entries: [],
        now: Date.parse('2026-05-07T00:00:00Z'),
      },
      { store },
    );
    assert.equal(again?.records, 4, 'the unchanged index is kept, not rebuilt from nothing');
    assert.equal(again?.publishedAt, '2026-05-07T00:00:00.000Z');
    assert.deepEqual(await keys(), before);
    assert.equal(
      (await store.head('.condasync/browse/chan/linux-64/index.json.gz'))?.etag,
      indexBefore?.etag,
    );

    await writeBrowseIndex(
      {
        channelPrefix: 'chan/',
        subdir: 'linux-64',
        repodataSha256: '2'.repeat(64),
        entries: entries([record('only', '1', 1)]),
      },
      { store },
    );
    assert.deepEqual(await keys(), [
      `.condasync/browse/chan/linux-64/details-${'2'.repeat(16)}.bin`,
      '.condasync/browse/chan/linux-64/index.json.gz',
      '.condasync/browse/chan/linux-64/summary.json',
    ]);
    assert.deepEqual((await readBrowseIndex(store, 'chan', 'linux-64'))?.index.names, ['only']);
  });

  it('writes nothing for a folder export (no channel prefix)', async () => {
    const before = await keys();
    assert.equal(
      await writeBrowseIndex(
        { channelPrefix: '', subdir: 'noarch', repodataSha256: '3'.repeat(64), entries: [] },
        { store },
      ),
      null,
    );
    assert.deepEqual(await keys(), before);
  });
});
