import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CondaError } from '../../src/errors.ts';
import { compileFilter, type FilterRules } from '../../src/filter/index.ts';

function assertRejected(rules: unknown, ...mentions: string[]): void {
  assert.throws(
    () => compileFilter(rules as FilterRules),
    (error: unknown) => {
      assert.ok(error instanceof CondaError, 'expected a CondaError');
      assert.equal(error.code, 'INVALID_FILTER');
      for (const text of mentions)
        assert.ok(error.message.includes(text), `'${error.message}' should mention ${text}`);
      return true;
    },
  );
}

describe('compileFilter validation', () => {
  it('rejects pkg_list combined with blacklist, whitelist or license_blacklist', () => {
    assertRejected(
      { pkgList: ['numpy'], blacklist: ['scipy'] },
      'pkg_list cannot be combined with blacklist',
    );
    assertRejected({ pkgList: ['numpy'], whitelist: ['scipy'] }, 'whitelist');
    assertRejected({ pkgList: ['numpy'], licenseBlacklist: ['GPL3'] }, 'license_blacklist');
    assertRejected(
      { pkgList: ['numpy'], blacklist: ['a'], whitelist: ['b'], licenseBlacklist: ['MIT'] },
      'blacklist, whitelist, license_blacklist',
    );
  });

  it('allows pkg_list with empty blacklist lists, python_versions and include_dependencies', () => {
    const filter = compileFilter({
      pkgList: ['numpy'],
      blacklist: [],
      whitelist: [],
      licenseBlacklist: [],
      pythonVersions: ['3.11'],
      includeDependencies: true,
    });
    assert.equal(filter.rules.pkgList?.[0]?.name, 'numpy');
    assert.equal(filter.rules.includeDependencies, true);
  });

  it('names the bad blacklist, whitelist or pkg_list entry and its index', () => {
    assertRejected(
      { blacklist: ['numpy', 'scipy >=', 'pandas'] },
      "blacklist[1] 'scipy >='",
      "operator '>='",
    );
    assertRejected({ whitelist: ['ok', { name: 'numpy', license: 'GPL' }] }, 'whitelist[1]', "key 'license'");
    assertRejected({ pkgList: ['numpy[md5=abc]'] }, "pkg_list[0] 'numpy[md5=abc]'", "bracket key 'md5'");
    assertRejected({ pkgList: [{ name: 'numpy' }] }, 'pkg_list[0]', 'MatchSpec string');
    assertRejected({ blacklist: [42] }, 'blacklist[0] 42');
    assertRejected({ blacklist: 'numpy' }, 'blacklist must be a list');
  });

  it('accepts only the documented license families, case-insensitively', () => {
    const filter = compileFilter({ licenseBlacklist: ['gpl3', 'public domain', 'APACHE', 'Public-Domain'] });
    assert.deepEqual(filter.rules.licenseBlacklist, ['GPL3', 'Public-Domain', 'Apache', 'Public-Domain']);
    assertRejected({ licenseBlacklist: ['MIT', 'GPL'] }, "license_blacklist[1] 'GPL'", 'AGPL, GPL2, GPL3');
    assertRejected({ licenseBlacklist: ['CC'] }, "license_blacklist[0] 'CC'");
  });

  it('requires python_versions to be X.Y strings', () => {
    assertRejected({ pythonVersions: [3.1] }, 'python_versions[0] 3.1', "'3.11'");
    assertRejected({ pythonVersions: ['3.10', '3'] }, "python_versions[1] '3'");
    assertRejected({ pythonVersions: ['3.10.1'] }, "python_versions[0] '3.10.1'");
    assertRejected({ pythonVersions: [] }, 'python_versions is empty');
  });

  it('rejects an empty pkg_list, unknown keys and a non-boolean include_dependencies', () => {
    assertRejected({ pkgList: [] }, 'pkg_list is empty');
    assertRejected({ pkg_list: ['numpy'] }, "unknown filter rule 'pkg_list'", 'pkgList');
    assertRejected({ includeDependencies: 'yes' }, 'include_dependencies must be true or false');
    assertRejected(null, 'must be an object');
  });

  it('treats null pkg_list and python_versions as absent', () => {
    const filter = compileFilter({ pkgList: null, pythonVersions: null, blacklist: ['numpy'] });
    assert.equal(filter.rules.pkgList, null);
    assert.equal(filter.rules.pythonVersions, null);
  });
});
