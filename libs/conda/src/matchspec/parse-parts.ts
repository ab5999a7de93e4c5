import { platformNames } from '@conda-org/rattler';
import { CondaError } from '../errors.ts';

/** The textual pieces of a MatchSpec before anything is compiled. */
export interface MatchSpecParts {
  name: string;
  channel?: string;
  subdir?: string;
  /** Version spec text ready for rattler's lenient parser, after conda's `=`/`==` translation. */
  version?: string;
  build?: string;
  buildNumber?: string;
}

/**
 * Keys accepted inside `[...]`. Anything else (md5, license, track_features...) is refused rather than
 * ignored: a blacklist entry `numpy[md5=...]` that silently matched every numpy would be a nasty surprise.
 */
const BRACKET_KEYS = ['version', 'build', 'build_number', 'channel', 'subdir'] as const;
type BracketKey = (typeof BRACKET_KEYS)[number];

const NAME_PATTERN = /^[A-Za-z0-9_.*-]+$/;
const KNOWN_SUBDIRS: ReadonlySet<string> = new Set(platformNames);
const OPERATOR_CHARS = '=!<>~';

export function invalidMatchSpec(text: string, problem: string, cause?: unknown): CondaError {
  return new CondaError(
    'INVALID_MATCHSPEC',
    `invalid MatchSpec '${text}': ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Splits a conda MatchSpec string into its parts, following conda's grammar:
 * `[channel[/subdir]::]name[ version[ build]][[key=value, ...]]`, where the version/build part may also be
 * written `name=1.2`, `name==1.2`, `name=1.2=build`, `name>=1.0,<2`. Bracket values override the others.
 */
export function parseMatchSpecParts(text: string): MatchSpecParts {
  if (typeof text !== 'string') {
    throw new CondaError('INVALID_MATCHSPEC', `invalid MatchSpec ${JSON.stringify(text)}: expected a string`);
  }
  const hash = text.indexOf('#');
  let rest = (hash === -1 ? text : text.slice(0, hash)).trim();
  if (rest === '') throw invalidMatchSpec(text, 'it is empty (expected a package name such as numpy)');

  let brackets: Map<BracketKey, string> | undefined;
  const open = rest.indexOf('[');
  if (open !== -1) {
    if (!rest.endsWith(']')) throw invalidMatchSpec(text, 'the [...] section must close with "]" at the end');
    brackets = parseBrackets(text, rest.slice(open + 1, -1));
    rest = rest.slice(0, open).trim();
  }
  if (rest.includes(']')) throw invalidMatchSpec(text, 'unbalanced "]"');

  const parts: MatchSpecParts = { name: '' };
  const channelEnd = rest.lastIndexOf('::');
  if (channelEnd !== -1) {
    Object.assign(parts, parseChannel(text, rest.slice(0, channelEnd)));
    rest = rest.slice(channelEnd + 2);
  }

  const name = /^[^\s=<>!~]*/.exec(rest)?.[0] ?? '';
  if (name === '')
    throw invalidMatchSpec(text, 'no package name before the version (expected e.g. numpy >=1.20)');
  if (!NAME_PATTERN.test(name)) {
    throw invalidMatchSpec(
      text,
      `package name '${name}' may contain only letters, digits, '_', '-', '.' and '*'`,
    );
  }
  parts.name = name.toLowerCase();

  const versionAndBuild = rest.slice(name.length).trim();
  if (versionAndBuild !== '') Object.assign(parts, splitVersionAndBuild(text, versionAndBuild));

  if (brackets) {
    const version = brackets.get('version');
    if (version !== undefined) parts.version = version;
    const build = brackets.get('build');
    if (build !== undefined) parts.build = build;
    const buildNumber = brackets.get('build_number');
    if (buildNumber !== undefined) parts.buildNumber = buildNumber;
    const channel = brackets.get('channel');
    if (channel !== undefined) Object.assign(parts, parseChannel(text, channel));
    const subdir = brackets.get('subdir');
    if (subdir !== undefined) parts.subdir = subdir;
  }
  return parts;
}

function parseChannel(text: string, channel: string): Pick<MatchSpecParts, 'channel' | 'subdir'> {
  if (channel === '' || /\s/.test(channel)) {
    throw invalidMatchSpec(text, `channel '${channel}' must be a non-empty name or URL without spaces`);
  }
  const trimmed = channel.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const last = trimmed.slice(slash + 1);
  if (slash > 0 && KNOWN_SUBDIRS.has(last)) return { channel: trimmed.slice(0, slash), subdir: last };
  return { channel: trimmed };
}

/** Parses `key=value` pairs separated by commas and/or spaces; values may be quoted with ' or ". */
function parseBrackets(text: string, body: string): Map<BracketKey, string> {
  const result = new Map<BracketKey, string>();
  let i = 0;
  const skipSeparators = () => {
    while (i < body.length && (body[i] === ',' || /\s/.test(body[i] ?? ''))) i++;
  };
  skipSeparators();
  while (i < body.length) {
    const keyMatch = /^[A-Za-z0-9_-]+/.exec(body.slice(i));
    if (!keyMatch) throw invalidMatchSpec(text, `expected key=value in [...] at '${body.slice(i)}'`);
    const key = keyMatch[0];
    i += key.length;
    while (/\s/.test(body[i] ?? '')) i++;
    if (body[i] !== '=') throw invalidMatchSpec(text, `bracket key '${key}' has no '=value'`);
    i++;
    while (/\s/.test(body[i] ?? '')) i++;
    let value: string;
    const quote = body[i];
    if (quote === "'" || quote === '"') {
      const close = body.indexOf(quote, i + 1);
      if (close === -1) throw invalidMatchSpec(text, `bracket value of '${key}' has no closing ${quote}`);
      value = body.slice(i + 1, close).trim();
      i = close + 1;
    } else {
      const start = i;
      while (i < body.length && body[i] !== ',' && !/\s/.test(body[i] ?? '')) i++;
      value = body.slice(start, i);
    }
    if (!(BRACKET_KEYS as readonly string[]).includes(key)) {
      throw invalidMatchSpec(
        text,
        `bracket key '${key}' is not supported (expected one of ${BRACKET_KEYS.join(', ')})`,
      );
    }
    if (value === '') throw invalidMatchSpec(text, `bracket key '${key}' has an empty value`);
    if (result.has(key as BracketKey)) throw invalidMatchSpec(text, `bracket key '${key}' is given twice`);
    result.set(key as BracketKey, value);
    skipSeparators();
  }
  return result;
}

/**
 * Separates `>=1.0,<2 py38_0`, `1.2=py38*`, `=1.2`, `==1.2` into version and build, then applies conda's
 * translation: `=1.2` (no build) means the series `1.2*`, `=1.2=b` and `==1.2` mean exactly 1.2, and
 * `==1.2.*` keeps its wildcard.
 */
function splitVersionAndBuild(text: string, raw: string): Pick<MatchSpecParts, 'version' | 'build'> {
  // conda tolerates spaces around ',' and '|' and after operators: '>=1.0 , < 2.0 py34_0'.
  const compact = raw.replace(/\s*([,|])\s*/g, '$1').replace(/(^|[,|])(==|!=|~=|>=|<=|=|<|>)\s+/g, '$1$2');
  const tokens = compact.split(/\s+/);
  let version: string;
  let build: string | undefined;
  if (tokens.length === 1) {
    [version, build] = splitBuildSuffix(tokens[0] ?? '');
  } else if (tokens.length === 2) {
    version = tokens[0] ?? '';
    build = (tokens[1] ?? '').replace(/^=/, '');
    if (build === '') throw invalidMatchSpec(text, 'the build string after the version is empty');
  } else {
    throw invalidMatchSpec(
      text,
      `'${raw}' has ${tokens.length} space-separated parts (expected at most a version and a build string)`,
    );
  }
  if (/^[=!<>~]*$/.test(version)) {
    throw invalidMatchSpec(text, `operator '${version}' is not followed by a version`);
  }
  if (version.startsWith('==') && build === undefined) {
    version = version.slice(2);
  } else if (version.startsWith('=') && !version.startsWith('==')) {
    const rest = version.slice(1);
    if (!/[=,|]/.test(rest)) version = build === undefined && !rest.endsWith('*') ? `${rest}*` : rest;
  }
  return build === undefined ? { version } : { version, build };
}

/** `1.2=py38_0` → ['1.2', 'py38_0']; an '=' that belongs to an operator (`>=`, `==`, `!=`) is not a split. */
function splitBuildSuffix(token: string): [string, string | undefined] {
  const at = token.lastIndexOf('=');
  if (at <= 0) return [token, undefined];
  const before = token[at - 1] ?? '';
  const build = token.slice(at + 1);
  if (OPERATOR_CHARS.includes(before) || before === ',' || before === '|') return [token, undefined];
  if (build === '' || /[=,|<>~!]/.test(build)) return [token, undefined];
  return [token.slice(0, at), build];
}
