import { invalidArchive } from './archive-error.ts';

const WINDOWS_DRIVE = /^[A-Za-z]:/;

/**
 * Refuses member names that would escape the extraction folder or mean different files on
 * different systems: absolute paths, drive letters, `..` segments, backslashes, NUL. conda and
 * rattler refuse to extract such members too, so a package holding one is hostile or broken.
 */
export function checkMemberPath(name: string, what: string): void {
  const refuse = (why: string): never => {
    throw invalidArchive(what, `member ${JSON.stringify(name)} ${why}`);
  };
  if (name.length === 0) refuse('has an empty name');
  if (name.includes('\0')) refuse('contains a NUL character');
  if (name.includes('\\')) refuse('contains a backslash (expected "/" separators)');
  if (name.startsWith('/')) refuse('is an absolute path');
  if (WINDOWS_DRIVE.test(name)) refuse('starts with a drive letter');
  if (name.split('/').includes('..')) refuse('has a ".." segment (path traversal)');
}

/**
 * A tar member's name as the package means it: checked as above, then without `./` segments or a
 * trailing slash (`./info/index.json` is `info/index.json`). `""` for the root folder itself.
 */
export function normaliseMemberPath(name: string, what: string): string {
  checkMemberPath(name, what);
  return name
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}
