/** A compiled `*` glob, as conda uses for package names and build strings. */
export type GlobMatcher = (text: string) => boolean;

export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}

/**
 * Compiles a glob where `*` matches any run of characters and everything else is literal (conda gives
 * `?` and `[` no meaning in names or build strings). A pattern without `*` compiles to string equality.
 */
export function compileGlob(pattern: string): GlobMatcher {
  if (pattern === '*') return () => true;
  if (!isGlob(pattern)) return (text) => text === pattern;
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${body}$`, 's');
  return (text) => regex.test(text);
}
