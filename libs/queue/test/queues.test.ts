import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  finalizeJobId,
  finalizeJobIdPrefix,
  newSyncId,
  packageJobId,
  packageJobIdPrefix,
} from '../src/queues.ts';

describe('job id prefixes of a sync', () => {
  it('match every package and finalize job id of that sync and no other', () => {
    const id = newSyncId();
    const other = newSyncId(Date.now() + 1);
    for (const [subdir, filename] of [
      ['linux-64', 'numpy-2.0.0-py312h0_0.conda'],
      ['noarch', 'tzdata-2024a-h0_0.tar.bz2'],
    ] as const) {
      assert.ok(packageJobId(id, subdir, filename).startsWith(packageJobIdPrefix(id)));
      assert.ok(!packageJobId(other, subdir, filename).startsWith(packageJobIdPrefix(id)));
      assert.ok(finalizeJobId(id, subdir).startsWith(finalizeJobIdPrefix(id)));
      assert.ok(!finalizeJobId(other, subdir).startsWith(finalizeJobIdPrefix(id)));
    }
    assert.ok(packageJobIdPrefix(id).includes(id));
  });
});
