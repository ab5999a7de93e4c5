import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { observePlans } from './plan-scenarios.ts';

// Planning holds records as canonical JSON in shared buffers, filters while it reads and compares
// with the published repodata by text; none of that may change what a sync selects, reports or
// publishes, byte for byte (the golden file was written by the code that held parsed records).
test('plans and published repodata are the same as before records were held compactly', async () => {
  const golden = JSON.parse(
    await readFile(join(import.meta.dirname, 'fixtures', 'plan-golden.json'), 'utf8'),
  );
  const observed = await observePlans();
  for (const scenario of Object.keys(golden)) {
    assert.deepEqual(observed[scenario], golden[scenario], scenario);
  }
  assert.deepEqual(Object.keys(observed), Object.keys(golden));
});
