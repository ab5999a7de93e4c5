import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alternateSpelling } from '../../src/upstream/channel-source.ts';

test('alternateSpelling swaps + and %2B in the last path segment only', () => {
  assert.equal(
    alternateSpelling('https://h.org/c/noarch/vendored-tool-2.0.1+local.7-h0_0.conda'),
    'https://h.org/c/noarch/vendored-tool-2.0.1%2Blocal.7-h0_0.conda',
  );
  assert.equal(
    alternateSpelling('https://h.org/c/noarch/a%2bb.conda?x=1'),
    'https://h.org/c/noarch/a+b.conda?x=1',
  );
  assert.equal(alternateSpelling('https://h.org/c+d/noarch/ab.conda'), null);
  assert.equal(alternateSpelling('https://h.org/c/noarch/ab.conda'), null);
});
