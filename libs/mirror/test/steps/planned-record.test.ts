import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalRecordJson, type PackageRecordJson } from '@condasync/conda';
import { PlannedRecord } from '../../src/steps/planned-record.ts';
import { channelSource } from '../../src/upstream/channel-source.ts';
import { testRecipesEntries } from './finalize-helpers.ts';

const channel = channelSource('https://conda.example.org/recipes');

describe('PlannedRecord', () => {
  test('gives back the canonical JSON, the record and its hashes of every fixture record', async () => {
    // Thousands of records fill more than one 4 MiB buffer: each must still read its own bytes.
    const entries = await testRecipesEntries();
    const planned: Array<[PackageRecordJson, PlannedRecord]> = [];
    for (let i = 0; i < 20_000; i++) {
      const record = { ...entries[i % entries.length]![1], build: `b${i}` };
      planned.push([record, new PlannedRecord(record, channel, i % 3)]);
    }
    for (const [i, [record, held]] of planned.entries()) {
      assert.equal(held.json, canonicalRecordJson(record));
      assert.deepEqual(held.record, JSON.parse(canonicalRecordJson(record)));
      assert.equal(held.sha256, record.sha256);
      assert.equal(held.md5, record.md5);
      assert.equal(held.size, record.size);
      assert.equal(held.channelIndex, i % 3);
    }
  });

  test('a record with one hash, or with hashes that are not lower-case hex, keeps them as given', () => {
    const base = { name: 'a', version: '1', build: '0', build_number: 0, size: 7, depends: [] };
    const onlyMd5 = new PlannedRecord({ ...base, md5: '0123456789abcdef0123456789abcdef' }, channel, 0);
    assert.equal(onlyMd5.sha256, undefined);
    assert.equal(onlyMd5.md5, '0123456789abcdef0123456789abcdef');
    const upper = 'ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789';
    const odd = new PlannedRecord({ ...base, sha256: upper, md5: 'not-hex' }, channel, 0);
    assert.equal(odd.sha256, upper);
    assert.equal(odd.md5, 'not-hex');
    assert.equal(odd.record.sha256, upper);
  });

  test('non-ASCII text is held escaped, as repodata.json lists it', () => {
    const record = {
      name: 'a',
      version: '1',
      build: '0',
      build_number: 0,
      size: 1,
      sha256: 'ab'.repeat(32),
      summary: 'Größe – 大小 🐍',
    };
    const held = new PlannedRecord(record, channel, 0);
    assert.equal(held.json, canonicalRecordJson(record));
    assert.equal(held.record['summary'], 'Größe – 大小 🐍');
  });
});
