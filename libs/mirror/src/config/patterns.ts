/** Text patterns of the sync config's JSON Schema, shared with the value checks and the error messages. */

/** dest_channel and dir_names become path segments: no '/', and no leading '.' ('..', '.condasync'). */
export const PATH_SEGMENT_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]*$';
export const PACKAGE_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
export const FILTER_NAME_PATTERN = '^[A-Za-z0-9_.*-]+$';
export const VERSION_SPEC_PATTERN = '^[0-9A-Za-z.*+_!,|<>=~() -]+$';
export const BUILD_GLOB_PATTERN = '^[A-Za-z0-9_.*+!-]+$';

/** What each pattern means, for error messages (a regex is no explanation). */
export const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [PATH_SEGMENT_PATTERN]: "a name of letters, digits, '.', '_' and '-', not starting with '.'",
  [PACKAGE_NAME_PATTERN]: "a package name: letters, digits, '.', '_' and '-'",
  [FILTER_NAME_PATTERN]: "a package name or glob: letters, digits, '.', '_', '-' and '*'",
  [VERSION_SPEC_PATTERN]: "a version spec such as '>=1.20,<2' or '3.*'",
  [BUILD_GLOB_PATTERN]: "a build string or glob such as 'py310*'",
};
