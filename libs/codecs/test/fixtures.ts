import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The conda projects' own test files (see test/fixtures/conda-test-data/PROVENANCE.md). */
export const CONDA_TEST_DATA = path.resolve(import.meta.dirname, '../../../test/fixtures/conda-test-data');

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(path.join(CONDA_TEST_DATA, ...parts));
}
