import type { FilterableRecord } from './types.ts';

/** The license families a license_blacklist may name (the Anaconda mirror documentation's list). */
export const LICENSE_FAMILIES = [
  'AGPL',
  'GPL2',
  'GPL3',
  'LGPL',
  'BSD',
  'MIT',
  'Apache',
  'PSF',
  'Public-Domain',
  'Proprietary',
  'Other',
] as const;
export type LicenseFamily = (typeof LICENSE_FAMILIES)[number];

const BY_KEY = new Map<string, LicenseFamily>(LICENSE_FAMILIES.map((family) => [familyKey(family), family]));
const UNVERSIONED_GPL: readonly LicenseFamily[] = ['GPL2', 'GPL3'];

/** Case, space, '-' and '_' insensitive key, so `public domain`, `PUBLIC-DOMAIN` and `apache` all resolve. */
function familyKey(text: string): string {
  return text.toUpperCase().replace(/[\s_-]+/g, '');
}

/** The canonical family for a blacklist entry or license_family value, or undefined if it is none of ours. */
export function normalizeLicenseFamily(text: string): LicenseFamily | undefined {
  return BY_KEY.get(familyKey(text));
}

/**
 * The families a record's license belongs to, for license_blacklist matching.
 * - `license_family` wins when present: a known family maps to itself, `GPL` (no version) to both GPL2
 *   and GPL3, and any other value (conda-build's CC, MOZILLA, NONE...) to Other.
 * - Otherwise the families are guessed from the `license` string (see guessLicenseFamilies).
 * - With neither, the result is empty: a record with no license information is never license-blocked.
 */
export function licenseFamiliesOf(
  record: Pick<FilterableRecord, 'license' | 'license_family'>,
): readonly LicenseFamily[] {
  const family = record.license_family?.trim();
  if (family) {
    if (familyKey(family) === 'GPL') return UNVERSIONED_GPL;
    return [normalizeLicenseFamily(family) ?? 'Other'];
  }
  const license = record.license?.trim();
  return license ? guessLicenseFamilies(license) : [];
}

const GPL_MENTION = /(?:\bGPL|GENERAL PUBLIC LICENSE)\s*(?:V(?:ERSION)?\s*|[-_]\s*|\(\s*[<>=]*\s*)?(\d)?/g;

/**
 * Every family a free-form license string mentions (SPDX ids, R's `GPL (>= 2)`, prose), in the spirit of
 * conda-build's guess_license_family but reporting all mentions: `GPL-2 | GPL-3` is GPL2 and GPL3, and
 * `Commercial or AGPLv3` is AGPL and Proprietary, so a blacklist drops a record if any alternative is
 * blacklisted. LGPL and AGPL (tokens or prose) never count as GPL. A GPL
 * mention without a version counts as both GPL2 and GPL3; `GPL-1` counts as GPL2. A non-empty string
 * that mentions none of the families is Other.
 */
export function guessLicenseFamilies(license: string): LicenseFamily[] {
  const text = license.toUpperCase();
  const found = new Set<LicenseFamily>();
  if (/AGPL|AFFERO/.test(text)) found.add('AGPL');
  if (/LGPL|(?:LESSER|LIBRARY) GENERAL PUBLIC/.test(text)) found.add('LGPL');

  // `\bGPL` already skips LGPL/AGPL tokens; the prose names need masking.
  const gplOnly = text
    .replace(/(?:LESSER|LIBRARY|AFFERO) GENERAL PUBLIC LICENSE/g, ' ')
    .replace(/(?:LESSER|LIBRARY|AFFERO) GENERAL PUBLIC/g, ' ');
  for (const mention of gplOnly.matchAll(GPL_MENTION)) {
    const major = mention[1];
    if (major === '3') found.add('GPL3');
    else if (major === '1' || major === '2') found.add('GPL2');
    else for (const family of UNVERSIONED_GPL) found.add(family);
  }

  if (/APACHE|\bASL\b/.test(text)) found.add('Apache');
  if (/\bPSF|PYTHON SOFTWARE FOUNDATION|\bPYTHON-2\.0/.test(text)) found.add('PSF');
  if (/\bMIT\b|\bEXPAT\b/.test(text)) found.add('MIT');
  if (/BSD/.test(text)) found.add('BSD');
  if (/PUBLIC[\s_-]?DOMAIN|\bUNLICENSE\b|\bCC0\b|\bCC-PDDC\b/.test(text)) found.add('Public-Domain');
  if (/PROPRIETARY|COMMERCIAL/.test(text)) found.add('Proprietary');
  if (found.size === 0) found.add('Other');
  return [...found];
}
