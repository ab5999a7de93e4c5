import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CondaError } from '../../src/errors.ts';
import { type MatchableRecord, MatchSpec, parseMatchSpec } from '../../src/matchspec/index.ts';

/** A record from a repodata filename-like triple; build_number defaults to the build's trailing number. */
function rec(name: string, version: string, build = '0', build_number?: number): MatchableRecord {
  const trailing = Number(/(\d+)$/.exec(build)?.[1] ?? 0);
  return { name, version, build, build_number: build_number ?? trailing };
}

function assertMatches(spec: string, matching: MatchableRecord[], notMatching: MatchableRecord[]): void {
  const parsed = MatchSpec.parse(spec);
  for (const record of matching) {
    assert.equal(parsed.matches(record), true, `'${spec}' should match ${JSON.stringify(record)}`);
  }
  for (const record of notMatching) {
    assert.equal(parsed.matches(record), false, `'${spec}' should not match ${JSON.stringify(record)}`);
  }
}

function assertInvalid(text: string, mentions: string): void {
  assert.throws(
    () => parseMatchSpec(text),
    (error: unknown) => {
      assert.ok(error instanceof CondaError, `expected CondaError for '${text}'`);
      assert.equal(error.code, 'INVALID_MATCHSPEC');
      assert.ok(error.message.includes(`'${text}'`), `message names the spec: ${error.message}`);
      assert.ok(error.message.includes(mentions), `message mentions '${mentions}': ${error.message}`);
      return true;
    },
  );
}

describe('MatchSpec.parse', () => {
  it('parses a bare name and matches every version and build of it', () => {
    const spec = parseMatchSpec('numpy');
    assert.equal(spec.name, 'numpy');
    assert.equal(spec.version, undefined);
    assert.equal(spec.build, undefined);
    assert.equal(spec.isNameOnly, true);
    assertMatches('numpy', [rec('numpy', '1.26.4', 'py311h64a7726_0')], [rec('numpy-base', '1.26.4')]);
  });

  it('parses name globs', () => {
    assertMatches(
      'lib*',
      [rec('libgcc-ng', '13.2.0'), rec('lib', '1')],
      [rec('glib', '2.78'), rec('zlib', '1.3')],
    );
    assertMatches('*', [rec('anything', '0.1')], []);
    assertMatches('*-cos6-*', [rec('alsa-lib-cos6-i686', '1.1.0')], [rec('alsa-lib-cos7-ppc64le', '1.1.0')]);
    assert.equal(parseMatchSpec('lib*').exactName, undefined);
    assert.equal(parseMatchSpec('libgcc-ng').exactName, 'libgcc-ng');
  });

  it('parses `name 1.2.*` as a series', () => {
    assertMatches(
      'numpy 1.2.*',
      [rec('numpy', '1.2'), rec('numpy', '1.2.5')],
      [rec('numpy', '1.20'), rec('numpy', '1.3')],
    );
  });

  it('parses ranges with and without spaces after the name and operators', () => {
    // 2.0.0rc1 sorts below 2, so <2 admits it (the reason conda-forge pins write <2.0a0).
    const inRange = [rec('numpy', '1.20.0'), rec('numpy', '1.26.4'), rec('numpy', '2.0.0rc1')];
    const outOfRange = [rec('numpy', '1.19.5'), rec('numpy', '2.0.0')];
    for (const text of ['numpy >=1.20,<2', 'numpy>=1.20,<2', 'numpy >= 1.20 , < 2', 'numpy >=1.20, <2']) {
      assert.equal(parseMatchSpec(text).version?.normalized, '>=1.20,<2', text);
      assertMatches(text, inRange, outOfRange);
    }
  });

  it('parses `name version build` with an exact version and a build glob', () => {
    assertMatches(
      'numpy 1.2 py38_0',
      [rec('numpy', '1.2', 'py38_0'), rec('numpy', '1.2.0', 'py38_0')],
      [rec('numpy', '1.2', 'py39_0'), rec('numpy', '1.2.1', 'py38_0')],
    );
    assertMatches(
      'python_abi 3.10.* *_cp310',
      [rec('python_abi', '3.10', '4_cp310')],
      [rec('python_abi', '3.10', '4_pypy39_pp73')],
    );
    assertMatches('blas * mkl', [rec('blas', '1.0', 'mkl')], [rec('blas', '1.0', 'openblas')]);
  });

  it("translates conda's = and == forms", () => {
    // name=1.2 is the 1.2 series; name==1.2 is exactly 1.2; name=1.2=build pins version and build.
    assertMatches(
      'numpy=1.2',
      [rec('numpy', '1.2'), rec('numpy', '1.2.3')],
      [rec('numpy', '1.20'), rec('numpy', '1.3')],
    );
    assertMatches('numpy==1.2', [rec('numpy', '1.2'), rec('numpy', '1.2.0')], [rec('numpy', '1.2.3')]);
    assertMatches(
      'numpy=1.2=py38*',
      [rec('numpy', '1.2', 'py38h1234_0')],
      [rec('numpy', '1.2.3', 'py38h1234_0'), rec('numpy', '1.2', 'py39h1234_0')],
    );
    assertMatches('numpy==1.2=py38_0', [rec('numpy', '1.2', 'py38_0')], [rec('numpy', '1.2.1', 'py38_0')]);
    assertMatches('numpy==1.2.*', [rec('numpy', '1.2.9')], [rec('numpy', '1.3')]);
    assertMatches('numpy=1.2.*', [rec('numpy', '1.2.9')], [rec('numpy', '1.20')]);
    assertMatches('numpy 1.2=py38_0', [rec('numpy', '1.2', 'py38_0')], [rec('numpy', '1.2', 'py39_0')]);
  });

  it('parses real repodata depends strings', () => {
    assertMatches(
      'openssl 3.*',
      [rec('openssl', '3.0.13'), rec('openssl', '3.3.1')],
      [rec('openssl', '1.1.1w')],
    );
    assertMatches(
      'openssl >=1.1.1w,<1.1.2a',
      [rec('openssl', '1.1.1w')],
      [rec('openssl', '1.1.1v'), rec('openssl', '1.1.2'), rec('openssl', '3.0.0')],
    );
    assertMatches(
      'python >=3.10,<3.11.0a0',
      [rec('python', '3.10.14')],
      [rec('python', '3.11.0'), rec('python', '3.9.19')],
    );
    assertMatches('python 2.7*', [rec('python', '2.7.18')], [rec('python', '2.70'), rec('python', '3.7')]);
    assertMatches(
      'r-base 3.4.3',
      [rec('r-base', '3.4.3')],
      [rec('r-base', '3.4.3.1'), rec('r-base', '3.4.4')],
    );
    assertMatches('libgcc-ng 7.2.0.*', [rec('libgcc-ng', '7.2.0')], [rec('libgcc-ng', '7.3.0')]);
    assertMatches(
      'pillow >=5.3.0,!=8.3.*',
      [rec('pillow', '9.0.1'), rec('pillow', '8.2.0')],
      [rec('pillow', '8.3.2')],
    );
    assertMatches(
      'r-bitops >=1.0_6',
      [rec('r-bitops', '1.0_6'), rec('r-bitops', '1.0.7')],
      [rec('r-bitops', '1.0_5')],
    );
    assertMatches('mro-base >=3.5.0,<3.5.1.0a0', [rec('mro-base', '3.5.0')], [rec('mro-base', '3.5.1')]);
  });

  it('handles epochs, dev/post releases and local versions', () => {
    assertMatches('pkg >=1!1.0', [rec('pkg', '1!2.0')], [rec('pkg', '2024.1')]);
    assertMatches('pkg 1!2.0', [rec('pkg', '1!2.0')], [rec('pkg', '2.0')]);
    assertMatches(
      'pkg <1.0',
      [rec('pkg', '1.0.dev1'), rec('pkg', '1.0rc1')],
      [rec('pkg', '1.0'), rec('pkg', '1.0.post1')],
    );
    assertMatches('pkg >1.0', [rec('pkg', '1.0.post1')], [rec('pkg', '1.0')]);
    assertMatches('pkg ==1.0+abc', [rec('pkg', '1.0+abc')], [rec('pkg', '1.0'), rec('pkg', '1.0+abd')]);
    assertMatches('pkg 1.0.*', [rec('pkg', '1.0+abc')], [rec('pkg', '1.1+abc')]);
  });

  it('parses | and ~= through rattler', () => {
    assertMatches(
      'pkg >=1,<2|3.*',
      [rec('pkg', '1.5'), rec('pkg', '3.2')],
      [rec('pkg', '2.5'), rec('pkg', '4.0')],
    );
    assertMatches('pkg ~=1.2', [rec('pkg', '1.2'), rec('pkg', '1.9')], [rec('pkg', '2.0')]);
    assertMatches('pkg !=1.2', [rec('pkg', '1.3')], [rec('pkg', '1.2')]);
  });

  it('parses bracket forms, which override the positional parts', () => {
    const spec = parseMatchSpec("numpy[version='>=1.0', build='py*', build_number=3]");
    assert.equal(spec.version?.normalized, '>=1.0');
    assert.equal(spec.build, 'py*');
    assert.equal(spec.buildNumber?.toString(), '3');
    assertMatches(
      "numpy[version='>=1.0', build='py*', build_number=3]",
      [rec('numpy', '1.5', 'py38_3')],
      [rec('numpy', '1.5', 'py38_2'), rec('numpy', '0.9', 'py38_3'), rec('numpy', '1.5', 'np_3')],
    );
    assertMatches(
      "numpy[build_number='>=3']",
      [rec('numpy', '1', 'a', 3), rec('numpy', '1', 'a', 10)],
      [rec('numpy', '1', 'a', 2)],
    );
    assertMatches('numpy[build_number=!=0]', [rec('numpy', '1', 'a', 1)], [rec('numpy', '1', 'a', 0)]);
    assertMatches('numpy 1.0[version=">=2,<3"]', [rec('numpy', '2.5')], [rec('numpy', '1.0')]);
    assertMatches(
      'numpy [version=1.2.* build=py38*]',
      [rec('numpy', '1.2.1', 'py38_0')],
      [rec('numpy', '1.2.1', 'py39_0')],
    );
  });

  it('parses and keeps a channel/subdir prefix without using it for matching', () => {
    const plain = parseMatchSpec('conda-forge::numpy');
    assert.equal(plain.channel, 'conda-forge');
    assert.equal(plain.subdir, undefined);
    assert.equal(plain.name, 'numpy');
    const withSubdir = parseMatchSpec('conda-forge/linux-64::numpy >=1.20');
    assert.equal(withSubdir.channel, 'conda-forge');
    assert.equal(withSubdir.subdir, 'linux-64');
    assert.equal(withSubdir.version?.normalized, '>=1.20');
    const url = parseMatchSpec('https://conda.anaconda.org/conda-forge/noarch::six 1.16.*');
    assert.equal(url.channel, 'https://conda.anaconda.org/conda-forge');
    assert.equal(url.subdir, 'noarch');
    assert.equal(parseMatchSpec('numpy[channel=conda-forge/osx-arm64]').subdir, 'osx-arm64');
    assertMatches('conda-forge/linux-64::numpy', [rec('numpy', '1.0')], [rec('scipy', '1.0')]);
  });

  it('compares names case-insensitively', () => {
    assertMatches('PyYAML', [rec('pyyaml', '6.0')], []);
    assertMatches('pyyaml', [rec('PyYAML', '6.0')], []);
  });

  it('renders a canonical string that parses back to the same spec', () => {
    for (const text of [
      'numpy',
      'numpy=1.2',
      'numpy 1.2 py38_0',
      'conda-forge/linux-64::numpy >=1.20,<2',
      "numpy[version='>=1.0', build='py*', build_number='>=3']",
    ]) {
      const spec = parseMatchSpec(text);
      const again = parseMatchSpec(spec.toString());
      assert.equal(again.toString(), spec.toString());
      assert.equal(again.version?.normalized, spec.version?.normalized);
      assert.equal(again.build, spec.build);
      assert.equal(again.buildNumber?.toString(), spec.buildNumber?.toString());
    }
    assert.equal(parseMatchSpec('numpy=1.2').toString(), 'numpy 1.2.*');
    assert.equal(parseMatchSpec('numpy 1.2 py38_0').toString(), 'numpy ==1.2 py38_0');
  });

  it('rejects malformed specs with INVALID_MATCHSPEC naming the text and the bad part', () => {
    assertInvalid('', 'empty');
    assertInvalid('   ', 'empty');
    assertInvalid('>=1.0', 'no package name');
    assertInvalid('numpy ==', "operator '=='");
    assertInvalid('numpy >=', "operator '>='");
    assertInvalid('numpy 1.2 py38 extra', '3 space-separated parts');
    assertInvalid('numpy >=1.0,', "version part '>=1.0,'");
    assertInvalid('numpy abc$$', "version part 'abc$$'");
    assertInvalid('numpy[md5=abc]', "bracket key 'md5' is not supported");
    assertInvalid("numpy[version='>=1", 'must close with "]"');
    assertInvalid("numpy[version='>=1]", "has no closing '");
    assertInvalid('numpy[version=]', 'empty value');
    assertInvalid('numpy[build_number=abc]', "build_number 'abc'");
    assertInvalid('numpy[version=1 version=2]', 'given twice');
    assertInvalid('numpy[1.2]', "has no '=value'");
    assertInvalid('numpy[=1.2]', 'expected key=value');
    assertInvalid('::numpy', "channel ''");
    assertInvalid('num$py', "package name 'num$py'");
    assertInvalid('numpy]', 'unbalanced');
  });

  it('throws INVALID_VERSION naming the version when a record version is unparseable', () => {
    assert.throws(() => parseMatchSpec('numpy >=1').matches(rec('numpy', '1 0')), {
      code: 'INVALID_VERSION',
      message: /'1 0'/,
    });
    // Without a version constraint the record's version is never parsed.
    assert.equal(parseMatchSpec('numpy').matches(rec('numpy', '1 0')), true);
  });

  it('ignores a trailing # comment', () => {
    assert.equal(parseMatchSpec('numpy >=1.20  # pinned for abi').version?.normalized, '>=1.20');
  });
});
