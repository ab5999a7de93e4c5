import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FilterableRecord } from '../../src/filter/index.ts';

/** Real repodata files from test/fixtures/conda-test-data (see its PROVENANCE.md). */
export const FIXTURES = {
  /** Anaconda main/noarch, Aug 2018: 322 records. */
  mainNoarch: 'conda/tests/data/repodata/main_noarch.json',
  /** Anaconda r/linux-64, Aug 2018: 4211 records. */
  rLinux64: 'conda/tests/data/repodata/r_linux-64.json',
  /** pytorch/linux-64 snapshot: 2181 records with python and python_abi pins. */
  pytorchLinux64: 'rattler/test-data/channels/pytorch/linux-64/repodata.json',
  /** rattler's hand-written dummy channel: foobar → bors <2.0, xbar → xfoo >=2, bar → __unix. */
  dummyLinux64: 'rattler/test-data/channels/dummy/linux-64/repodata.json',
  /** conda's test-recipes noarch channel: dependent → dependency, unsatisfiable → versioned <1.0. */
  testRecipesNoarch: 'conda/tests/data/test-recipes/noarch/repodata.json',
} as const;

const ROOT = join(import.meta.dirname, '../../../../test/fixtures/conda-test-data');

/** filename → record from both `packages` and `packages.conda`. */
export function loadRecords(path: string): Map<string, FilterableRecord> {
  const repodata = JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as {
    packages?: Record<string, FilterableRecord>;
    'packages.conda'?: Record<string, FilterableRecord>;
  };
  return new Map([
    ...Object.entries(repodata.packages ?? {}),
    ...Object.entries(repodata['packages.conda'] ?? {}),
  ]);
}

export function subdirs(
  entries: Record<string, Map<string, FilterableRecord>>,
): Map<string, Map<string, FilterableRecord>> {
  return new Map(Object.entries(entries));
}
