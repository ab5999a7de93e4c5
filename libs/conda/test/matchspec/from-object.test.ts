import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CondaError } from '../../src/errors.ts';
import { type MatchableRecord, matchSpecFromObject } from '../../src/matchspec/index.ts';

const record = (name: string, version: string, build: string): MatchableRecord => ({
  name,
  version,
  build,
  build_number: 0,
});

describe('matchSpecFromObject', () => {
  it('matches on name alone', () => {
    const spec = matchSpecFromObject({ name: 'numpy' });
    assert.equal(spec.matches(record('numpy', '1.26.4', 'py311_0')), true);
    assert.equal(spec.matches(record('scipy', '1.26.4', 'py311_0')), false);
  });

  it('reads version as a conda version spec and build as a glob', () => {
    const spec = matchSpecFromObject({ name: 'python', version: '3.6*', build: 'h*' });
    assert.equal(spec.matches(record('python', '3.6.15', 'h12debd9_1')), true);
    // conda-mirror would fnmatch '3.6*' against '3.60'; as a version spec it is the 3.6 series.
    assert.equal(spec.matches(record('python', '3.60', 'h12debd9_1')), false);
    assert.equal(spec.matches(record('python', '3.6.15', 'cpython_1')), false);
    const range = matchSpecFromObject({ name: 'numpy', version: '>=1.20, <2' });
    assert.equal(range.version?.normalized, '>=1.20,<2');
    assert.equal(range.matches(record('numpy', '1.21.0', 'x')), true);
    assert.equal(range.matches(record('numpy', '2.0.0', 'x')), false);
  });

  it('accepts name globs', () => {
    const spec = matchSpecFromObject({ name: 'r-*', build: 'mro*' });
    assert.equal(spec.matches(record('r-glue', '1.2.0', 'mro343h086d26f_0')), true);
    assert.equal(spec.matches(record('r-glue', '1.2.0', 'r343h086d26f_0')), false);
  });

  it('rejects unknown keys, missing names, bad values and bad versions, naming the object', () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'numpy', license: 'GPL' }, "key 'license' is not supported"],
      [{ version: '1.0' }, "'name' must be a non-empty string"],
      [{ name: '' }, "'name' must be a non-empty string"],
      [{ name: 'numpy', version: 3 }, "'version' must be a non-empty string"],
      [{ name: 'numpy >=1' }, "name 'numpy >=1'"],
      [{ name: 'numpy', version: '>=' }, "version part '>='"],
      [{ name: 'numpy', build: 'py 38' }, "build string 'py 38'"],
      ['numpy', 'expected an object'],
    ];
    for (const [input, mentions] of cases) {
      assert.throws(
        () => matchSpecFromObject(input as never),
        (error: unknown) => {
          assert.ok(error instanceof CondaError);
          assert.equal(error.code, 'INVALID_MATCHSPEC');
          assert.ok(error.message.includes(JSON.stringify(input)), error.message);
          assert.ok(error.message.includes(mentions), `${error.message} should mention ${mentions}`);
          return true;
        },
      );
    }
  });
});
