import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CondaError } from '../../src/errors.ts';
import { compareVersions, isValidVersion } from '../../src/version/index.ts';

/** Asserts that `ascending` is strictly increasing under compareVersions, pair by pair and reversed. */
function assertAscending(ascending: string[]): void {
  for (let i = 0; i + 1 < ascending.length; i++) {
    const [lower, higher] = [ascending[i] as string, ascending[i + 1] as string];
    assert.equal(compareVersions(lower, higher), -1, `${lower} < ${higher}`);
    assert.equal(compareVersions(higher, lower), 1, `${higher} > ${lower}`);
  }
}

describe('compareVersions', () => {
  it('orders numeric segments numerically, not lexically', () => {
    assertAscending(['1.2', '1.9', '1.10', '1.10.1', '2.0', '10.0']);
  });

  it('treats missing trailing zero segments as equal', () => {
    assert.equal(compareVersions('1.0', '1.0.0'), 0);
    assert.equal(compareVersions('1', '1.0.0.0'), 0);
  });

  it('orders openssl-style letter releases among themselves and below the next patch', () => {
    assertAscending(['1.1.1a', '1.1.1v', '1.1.1w', '1.1.2', '3.0.0']);
    // conda (and rattler) put a trailing letter below the bare release: 1.1.1a < 1.1.1.
    assert.equal(compareVersions('1.1.1a', '1.1.1'), -1);
  });

  it("follows conda's documented VersionOrder table", () => {
    // The ordering from conda's VersionOrder docstring; pairs marked equal there are asserted separately.
    assertAscending([
      '0.4.0',
      '0.4.1.rc',
      '0.4.1',
      '0.5a1',
      '0.5b3',
      '0.5C1',
      '0.5',
      '0.9.6',
      '0.960923',
      '1.0',
      '1.1dev1',
      '1.1_',
      '1.1a1',
      '1.1.0dev1',
      '1.1.a1',
      '1.1.0rc1',
      '1.1.0',
      '1.1.0post1',
      '1.1post1',
      '1996.07.12',
      '1!0.4.1',
      '1!3.1.1.6',
      '2!0.4.1',
    ]);
    for (const [a, b] of [
      ['0.4', '0.4.0'],
      ['0.4.1.rc', '0.4.1.RC'],
      ['1.1.0dev1', '1.1.dev1'],
      ['1.1.0', '1.1'],
      ['1.1.0post1', '1.1.post1'],
    ] as const) {
      assert.equal(compareVersions(a, b), 0, `${a} == ${b}`);
    }
  });

  it('puts a higher epoch above any version of a lower epoch', () => {
    assertAscending(['2024.1', '1!0.1', '1!2.0', '2!0.0.1']);
    assert.equal(compareVersions('0!1.0', '1.0'), 0);
  });

  it('orders local versions (+...) by their local part, below the bare public version', () => {
    assert.equal(compareVersions('1.0+abc', '1.0+abc'), 0);
    assert.equal(compareVersions('1.0+2', '1.0+10'), -1);
    assert.equal(compareVersions('1.0+abc', '1.0'), -1);
    assert.equal(compareVersions('1.0+abc', '1.0.1'), -1);
  });

  it('treats _ like . and compares case-insensitively', () => {
    assert.equal(compareVersions('1.0_1', '1.0.1'), 0);
    assert.equal(compareVersions('1.0RC1', '1.0rc1'), 0);
  });

  it('sorts a real mixed list', () => {
    const versions = ['1.10.0', '1.9.3', '1!0.5', '1.10.0rc1', '1.9.3.post2', '1.10.0dev0'];
    assert.deepEqual(versions.toSorted(compareVersions), [
      '1.9.3',
      '1.9.3.post2',
      '1.10.0dev0',
      '1.10.0rc1',
      '1.10.0',
      '1!0.5',
    ]);
  });

  it('rejects invalid versions with INVALID_VERSION naming the value', () => {
    for (const bad of ['1.2 3', '1..2', '1.0.', '1.0+', '1!', '1.*']) {
      assert.throws(
        () => compareVersions(bad, '1.0'),
        (error: unknown) =>
          error instanceof CondaError &&
          error.code === 'INVALID_VERSION' &&
          error.message.includes(`'${bad}'`),
        bad,
      );
      assert.throws(() => compareVersions('1.0', bad), { code: 'INVALID_VERSION' });
      assert.equal(isValidVersion(bad), false);
    }
    assert.throws(() => compareVersions('', ''), { code: 'INVALID_VERSION' });
    assert.equal(isValidVersion('2.7.18'), true);
  });

  it('keeps answering correctly after the version cache has evicted entries', () => {
    // More distinct versions than the cache holds (65 536), then re-check early ones.
    for (let i = 0; i < 70_000; i++) compareVersions(`${i}.0`, `${i}.1`);
    assert.equal(compareVersions('0.0', '0.1'), -1);
    assert.equal(compareVersions('1.1.1w', '1.1.1v'), 1);
  });
});
