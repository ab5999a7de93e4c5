/*
 * Package filters of the sync config (pkg_list, include_dependencies, python_versions,
 * license_blacklist, blacklist, whitelist). Pure functions over records; the caller picks the platform
 * subdirs and always passes noarch too. These semantics are ours and are documented in the README:
 *
 * Eligibility
 *   eligible(r) = whitelisted(r) || (pythonOk(r) && !licenseBlocked(r) && !blacklisted(r))
 *   So rules apply in the order license_blacklist → blacklist → whitelist, and the whitelist adds back
 *   whatever an earlier rule (python_versions included) removed. A whitelist alone changes nothing.
 *   A left-out record is counted once, under the first rule that removed it: python, license,
 *   blacklist; eligible records outside the pkg_list closure count as not-in-pkg-list.
 *
 * blacklist / whitelist / pkg_list entries
 *   Package names, `*` globs (`lib*`), MatchSpec strings (`numpy >=1.20,<2`, `openssl 3.*`,
 *   `numpy 1.26 py311*`, `numpy[build_number='>=3']`) or, for blacklist/whitelist, conda-mirror style
 *   objects `{name, version?, build?}`, where version is a conda version spec (`3.6*` is the 3.6
 *   series, not an fnmatch glob) and build a `*` glob. Unknown object keys are an error. A channel
 *   prefix (`conda-forge::numpy`) is accepted and ignored.
 *
 * license_blacklist
 *   Families AGPL, GPL2, GPL3, LGPL, BSD, MIT, Apache, PSF, Public-Domain, Proprietary, Other,
 *   case-insensitive. A record's `license_family` decides when present: `GPL` without a version counts
 *   as both GPL2 and GPL3 (it may be either, and a blacklist is a promise to keep it out); families
 *   outside the list (CC, MOZILLA, NONE) count as Other. Only when license_family is absent or empty is
 *   the `license` string used: every family it mentions counts (`GPL-2 | GPL-3` is GPL2 and GPL3,
 *   `Commercial or AGPLv3` is AGPL and Proprietary; LGPL/AGPL never count as GPL; CC0 and Unlicense are
 *   Public-Domain; an unrecognised string is Other). A record with neither field is never blocked.
 *
 * python_versions (e.g. ['3.10', '3.11'], strings X.Y)
 *   Records in noarch are kept. Records named `python` or `python_abi` are kept iff their version is
 *   in a listed X.Y series. Other records are kept iff one listed version satisfies all their `python`
 *   and `python_abi` dependencies that carry a version constraint; a listed X.Y satisfies a constraint
 *   when X.Y or X.Y.999 matches it or it pins one version inside X.Y. Records without such a
 *   dependency are python-agnostic and kept. An unparseable python dependency excludes the record.
 *
 * pkg_list and include_dependencies
 *   Roots are the eligible records matching a pkg_list entry; without pkg_list every eligible record
 *   is a root. pkg_list cannot be combined with blacklist, whitelist or license_blacklist (the config
 *   is rejected). include_dependencies adds, recursively, every eligible record that matches a
 *   dependency of a selected record (all matching versions and builds, not a solve). A record in a
 *   platform subdir resolves its depends against that subdir and noarch; a noarch record against noarch
 *   and every mirrored platform subdir. Virtual packages (`__glibc`, `__cuda`) are skipped. Dependencies
 *   no eligible record satisfies (or that are not valid MatchSpecs) are reported in `unresolved`, which
 *   is only computed when include_dependencies is on.
 */
export { compileFilter, filterPackages, PackageFilter } from './compile-filter.ts';
export {
  guessLicenseFamilies,
  LICENSE_FAMILIES,
  type LicenseFamily,
  licenseFamiliesOf,
} from './license-family.ts';
export {
  ExcludeReason,
  type FilterableRecord,
  type FilterEntry,
  type FilterResult,
  type FilterRules,
  type SubdirRecords,
  type UnresolvedDependency,
} from './types.ts';
export type { ValidatedRules } from './validate-rules.ts';
