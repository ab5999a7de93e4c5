import { CodecError, CodecErrorCode } from './errors.ts';

const WINDOWS_DRIVE = /^[A-Za-z]:/;

/**
 * Refuses member names that would escape the extraction folder or mean different files on
 * different systems: absolute paths, drive letters, `..` segments, backslashes, NUL. conda and
 * rattler refuse to extract such members too, so an archive holding one is hostile or broken.
 * Throws UNSAFE_PATH.
 */
export function checkMemberPath(name: string): void {
  const refuse = (why: string): never => {
    throw new CodecError(
      CodecErrorCode.UnsafePath,
      `member ${JSON.stringify(name)} ${why}; expected a relative path inside the archive`,
    );
  };
  if (name.length === 0) refuse('has an empty name');
  if (name.includes('\0')) refuse('contains a NUL character');
  if (name.includes('\\')) refuse('contains a backslash (expected "/" separators)');
  if (name.startsWith('/')) refuse('is an absolute path');
  if (WINDOWS_DRIVE.test(name)) refuse('starts with a drive letter');
  if (name.split('/').includes('..')) refuse('has a ".." segment (path traversal)');
}

/**
 * A member's name as the archive means it: checked as above, then without `./` segments or a
 * trailing slash (`./info/index.json` is `info/index.json`). `""` for the root folder itself.
 */
export function normaliseMemberPath(name: string): string {
  checkMemberPath(name);
  return name
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}
