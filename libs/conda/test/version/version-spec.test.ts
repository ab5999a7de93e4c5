import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CondaError } from '../../src/errors.ts';
import {
  clearVersionCaches,
  parseVersionSpec,
  versionCacheStats,
  versionMatches,
} from '../../src/version/index.ts';

function check(spec: string, matching: string[], notMatching: string[]): void {
  const parsed = parseVersionSpec(spec);
  for (const version of matching)
    assert.equal(parsed.matches(version), true, `${spec} should match ${version}`);
  for (const version of notMatching) {
    assert.equal(parsed.matches(version), false, `${spec} should not match ${version}`);
  }
}

describe('parseVersionSpec', () => {
  it('matches series wildcards by segment, not by string prefix', () => {
    check('1.2.*', ['1.2', '1.2.0', '1.2.11'], ['1.20', '1.3', '1.1.9']);
    check('1.2*', ['1.2.3'], ['1.20']);
    check('2.7*', ['2.7', '2.7.18'], ['2.70', '3.7']);
  });

  it('treats a bare version as exact, like conda', () => {
    check('1.2', ['1.2', '1.2.0'], ['1.2.1', '1.20']);
    assert.equal(parseVersionSpec('1.2').normalized, '==1.2');
  });

  it('handles ranges, |, !=, == and ~=', () => {
    check('>=1.0,<2', ['1.0', '1.99.9'], ['0.9', '2.0', '2.0.1']);
    check('>=1,<2|3.*', ['1.5', '3.0', '3.11'], ['2.5', '4.0']);
    check('==1.2', ['1.2', '1.2.0'], ['1.2.1']);
    check('!=1.2', ['1.2.1', '1.3'], ['1.2', '1.2.0']);
    check('!=8.3.*', ['8.2', '9.0'], ['8.3.1']);
    check('~=1.2', ['1.2', '1.9'], ['2.0', '1.1']);
    check('>=3.10,<3.11.0a0', ['3.10', '3.10.999'], ['3.11.0a0', '3.9']);
  });

  it('handles openssl letters, epochs, dev/post and local versions', () => {
    check('>=1.1.1w,<1.1.2a', ['1.1.1w'], ['1.1.1v', '1.1.2']);
    check('>=1!1.0', ['1!2.0'], ['2024.1']);
    check('<1.0', ['1.0.dev1', '1.0rc1'], ['1.0', '1.0.post1']);
    check('>1.0', ['1.0.post1'], ['1.0']);
    // A local version sorts below its public version, so >=1.0 excludes 1.0+abc (as in conda).
    check('==1.0+abc', ['1.0+abc'], ['1.0', '1.0+abd']);
    check('1.0.*', ['1.0+abc', '1.0.5'], ['1.1']);
    check('>=1.0', ['1.0.1+abc'], ['1.0+abc']);
  });

  it('leniently translates forms found in old repodata, as conda does', () => {
    assert.equal(parseVersionSpec('=1.2').normalized, '1.2.*');
    assert.equal(parseVersionSpec('1.2|1.3').normalized, '==1.2|==1.3');
    assert.equal(parseVersionSpec('*').isAny, true);
  });

  it('rejects malformed specs with INVALID_VERSION naming the spec', () => {
    for (const bad of ['>=', '>=1.0,', 'abc$$', '^1.2$', '>=1.0 <2']) {
      assert.throws(
        () => parseVersionSpec(bad),
        (error: unknown) =>
          error instanceof CondaError &&
          error.code === 'INVALID_VERSION' &&
          error.message.includes(`'${bad}'`),
        bad,
      );
    }
  });

  it('throws INVALID_VERSION when asked to match an invalid version', () => {
    assert.throws(() => parseVersionSpec('>=1').matches('1 0'), { code: 'INVALID_VERSION' });
  });

  it('memoizes rattler objects: repeated specs and versions hit the caches', () => {
    clearVersionCaches();
    const before = versionCacheStats();
    for (let i = 0; i < 1000; i++) versionMatches('>=1.20,<2', '1.26.4');
    const after = versionCacheStats();
    assert.equal(after.versionSpecs.size, 1);
    assert.equal(after.versions.size, 1);
    assert.equal(after.versionSpecs.misses - before.versionSpecs.misses, 1);
    assert.equal(after.versions.hits - before.versions.hits, 999);
  });

  it('stays correct when a spec is used after its cache entry was evicted', () => {
    const spec = parseVersionSpec('>=3.10,<3.11.0a0');
    for (let i = 0; i < 17_000; i++) versionMatches(`>=${i}.0`, '1.0');
    assert.equal(spec.matches('3.10.4'), true);
    assert.equal(spec.matches('3.11'), false);
  });
});
