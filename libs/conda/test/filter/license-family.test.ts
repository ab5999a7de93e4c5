import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guessLicenseFamilies, licenseFamiliesOf } from '../../src/filter/index.ts';
import { FIXTURES, loadRecords } from './repodata-fixtures.ts';

const sorted = (families: readonly string[]) => [...families].sort();

describe('guessLicenseFamilies', () => {
  it('recognises SPDX identifiers', () => {
    const cases: Array<[string, string[]]> = [
      ['GPL-3.0-or-later', ['GPL3']],
      ['GPL-2.0-only', ['GPL2']],
      ['LGPL-2.1', ['LGPL']],
      ['LGPL-3.0-or-later', ['LGPL']],
      ['AGPL-3.0', ['AGPL']],
      ['BSD-3-Clause', ['BSD']],
      ['0BSD', ['BSD']],
      ['Apache-2.0', ['Apache']],
      ['PSF-2.0', ['PSF']],
      ['MIT', ['MIT']],
      ['CC0-1.0', ['Public-Domain']],
      ['Unlicense', ['Public-Domain']],
      ['MPL-2.0', ['Other']],
      ['BSL-1.0', ['Other']],
    ];
    for (const [license, expected] of cases)
      assert.deepEqual(sorted(guessLicenseFamilies(license)), expected, license);
  });

  it('never counts LGPL or AGPL as GPL', () => {
    assert.deepEqual(guessLicenseFamilies('LGPL (>= 2)'), ['LGPL']);
    assert.deepEqual(guessLicenseFamilies('GNU Lesser General Public License v2.1'), ['LGPL']);
    assert.deepEqual(guessLicenseFamilies('GNU Affero General Public License v3'), ['AGPL']);
    assert.deepEqual(guessLicenseFamilies('AGPLv3'), ['AGPL']);
  });

  it("reads R's and prose GPL forms, and counts an unversioned GPL as GPL2 and GPL3", () => {
    assert.deepEqual(guessLicenseFamilies('GPL (>= 2)'), ['GPL2']);
    assert.deepEqual(guessLicenseFamilies('GPL (>= 3) | file LICENCE'), ['GPL3']);
    assert.deepEqual(guessLicenseFamilies('GNU General Public License v2 or later (GPLv2+)'), ['GPL2']);
    assert.deepEqual(guessLicenseFamilies('GPLv3'), ['GPL3']);
    assert.deepEqual(sorted(guessLicenseFamilies('GPL')), ['GPL2', 'GPL3']);
    assert.deepEqual(sorted(guessLicenseFamilies('GNU GPL')), ['GPL2', 'GPL3']);
  });

  it('reports every family of a dual or multi license', () => {
    assert.deepEqual(sorted(guessLicenseFamilies('GPL-2 | GPL-3')), ['GPL2', 'GPL3']);
    assert.deepEqual(sorted(guessLicenseFamilies('Commercial or AGPLv3')), ['AGPL', 'Proprietary']);
    assert.deepEqual(sorted(guessLicenseFamilies('MIT OR Apache-2.0')), ['Apache', 'MIT']);
    assert.deepEqual(guessLicenseFamilies('MIT + file LICENSE | Unlimited'), ['MIT']);
    assert.deepEqual(guessLicenseFamilies('IJG, modified 3-clause BSD and zlib'), ['BSD']);
  });

  it('does not mistake words containing MIT for MIT', () => {
    assert.deepEqual(guessLicenseFamilies('Unlimited'), ['Other']);
    assert.deepEqual(guessLicenseFamilies('Lucent Public License'), ['Other']);
  });
});

describe('licenseFamiliesOf on real r/linux-64 records', () => {
  const records = loadRecords(FIXTURES.rLinux64);
  const familiesOf = (filename: string) => {
    const record = records.get(filename);
    assert.ok(record, `fixture has ${filename}`);
    return sorted(licenseFamiliesOf(record));
  };

  it('uses license_family when present, case-insensitively', () => {
    // license_family GPL3, license GPL-3.
    assert.deepEqual(familiesOf('r-assertthat-0.1-r3.2.0_1a.tar.bz2'), ['GPL3']);
    // license_family OTHER (upper case) for a CC0 data package.
    assert.deepEqual(familiesOf('r-nycflights13-0.2.2-r350h912f1d8_0.tar.bz2'), ['Other']);
    // license 'GPL (>= 2)' but license_family GPL3: the family wins.
    assert.deepEqual(familiesOf('r-afex-0.18_0-mro343h889e2dd_0.tar.bz2'), ['GPL3']);
    // license_family CC is outside our list: Other.
    assert.deepEqual(familiesOf('r-spdata-0.2.8.3-mro350h576908c_0.tar.bz2'), ['Other']);
  });

  it('does not consult the license string when license_family is set', () => {
    // license 'Commercial or AGPLv3' but license_family 'GPL': the family decides, and bare GPL is both.
    const record = records.get('rstudio-1.1.456-h6bb024c_0.tar.bz2');
    assert.equal(record?.license, 'Commercial or AGPLv3');
    assert.equal(record?.license_family, 'GPL');
    assert.deepEqual(familiesOf('rstudio-1.1.456-h6bb024c_0.tar.bz2'), ['GPL2', 'GPL3']);
  });

  it('guesses from the license string when license_family is absent', () => {
    assert.deepEqual(familiesOf('r-assertthat-0.1-r3.2.0_1.tar.bz2'), ['GPL3']); // 'GPL-3'
    assert.deepEqual(familiesOf('r-ape-3.3-r3.2.0_0.tar.bz2'), ['GPL2']); // 'GPL (>= 2)'
    assert.deepEqual(familiesOf('r-3.1.2-0.tar.bz2'), ['GPL2', 'GPL3']); // 'GPL'
    assert.deepEqual(familiesOf('r-dbi-0.3.1-r3.2.1_2.tar.bz2'), ['LGPL']); // 'LGPL (>= 2)'
    assert.deepEqual(familiesOf('r-aer-1.2_4-r3.2.0_0.tar.bz2'), ['GPL2', 'GPL3']); // 'GPL-2 | GPL-3'
    assert.deepEqual(familiesOf('r-nycflights13-0.1-r3.1.3_0.tar.bz2'), ['Public-Domain']); // 'CC0'
    assert.deepEqual(familiesOf('r-crayon-1.3.0-r3.2.0_0.tar.bz2'), ['MIT']); // 'MIT + file LICENSE'
  });

  it('gives no family to a record without license information', () => {
    assert.deepEqual(licenseFamiliesOf({ license: null, license_family: null }), []);
    assert.deepEqual(licenseFamiliesOf({ license: '  ', license_family: '' }), []);
  });
});
