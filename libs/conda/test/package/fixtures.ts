import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/conda-test-data');

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}

export function readFixtureJson(...parts: string[]): Record<string, unknown> {
  return JSON.parse(readFixture(...parts).toString('utf8')) as Record<string, unknown>;
}

function archivesIn(dir: string): string[] {
  return readdirSync(fixturePath(dir))
    .filter((name) => name.endsWith('.conda') || name.endsWith('.tar.bz2'))
    .sort()
    .map((name) => path.posix.join(dir, name));
}

/** Folders holding package archives, relative to FIXTURES. */
export const ARCHIVE_FOLDERS = [
  'conda-index/tests/archives',
  'conda-package-handling/tests/data',
  'conda/tests/data/conda_format_repo/linux-64',
  'conda/tests/data/conda_format_repo/osx-64',
  'conda/tests/data/conda_format_repo/win-32',
  'conda/tests/data/conda_format_repo/win-64',
  'conda/tests/data/test-recipes/noarch',
  'conda-index/tests/index_hotfix_pkgs/osx-64',
  'rattler/test-data/packages',
  'rattler/test-data/test-server/repo/noarch',
  'mamba/micromamba/test-server/channel_a/noarch',
] as const;

/** Archives in those folders that are not conda packages (no info/index.json) or are corrupt. */
export const NOT_PACKAGES = new Set([
  'conda-index/tests/archives/a.tar.bz2',
  'conda-index/tests/archives/b.tar.bz2',
  'conda-index/tests/archives/subfolder.tar.bz2',
  'conda-index/tests/archives/subfolder2.tar.bz2',
]);

/** Every package archive of the fixture set (relative paths), the non-packages excluded. */
export function fixtureArchives(): string[] {
  return ARCHIVE_FOLDERS.flatMap(archivesIn).filter((file) => !NOT_PACKAGES.has(file));
}
