// Finds the module specifiers a TypeScript/JavaScript source imports, and whether it reads
// process.env, without a compiler (TypeScript 7 has no JS API). A small tokenizer skips
// comments, strings, template literals and regular expressions, so text that only looks like an
// import is never reported.

export interface ImportRef {
  /** The specifier as written, e.g. `node:fs` or `../src/index.ts`; null for `import(expr)`. */
  specifier: string | null;
  kind: 'static' | 'dynamic' | 'require';
  line: number;
}

export interface SourceFacts {
  imports: ImportRef[];
  /** Lines that read the environment: `process.env`, `process['env']`, `env` from node:process. */
  envReads: number[];
}

type Token =
  | { type: 'word'; value: string; line: number }
  | { type: 'string'; value: string; line: number }
  | { type: 'template'; line: number }
  | { type: 'punct'; value: string; line: number };

/** After these tokens a `/` starts a regular expression rather than a division. */
function regexAllowedAfter(previous: Token | undefined): boolean {
  if (previous === undefined) return true;
  if (previous.type === 'string' || previous.type === 'template') return false;
  if (previous.type === 'word') {
    return [
      'return',
      'typeof',
      'case',
      'do',
      'else',
      'in',
      'of',
      'new',
      'delete',
      'void',
      'throw',
      'yield',
      'await',
    ].includes(previous.value);
  }
  return ![')', ']', '}'].includes(previous.value);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  // Each open template literal pushes the brace depth its `${` expression started at.
  const templateDepths: number[] = [];
  let braceDepth = 0;

  const readString = (quote: string): string => {
    let value = '';
    i += 1;
    while (i < source.length && source[i] !== quote) {
      if (source[i] === '\\') {
        value += source[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (source[i] === '\n') line += 1;
      value += source[i];
      i += 1;
    }
    i += 1;
    return value;
  };

  /** Skips template text up to the closing backtick or the next `${`. */
  const skipTemplateText = (): void => {
    while (i < source.length) {
      const char = source[i];
      if (char === '\\') {
        i += 2;
      } else if (char === '`') {
        i += 1;
        return;
      } else if (char === '$' && source[i + 1] === '{') {
        i += 2;
        templateDepths.push(braceDepth);
        braceDepth += 1;
        return;
      } else {
        if (char === '\n') line += 1;
        i += 1;
      }
    }
  };

  while (i < source.length) {
    const char = source[i] ?? '';
    const next = source[i + 1];
    if (char === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(char)) {
      i += 1;
    } else if (char === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      for (let j = i; j < stop; j += 1) if (source[j] === '\n') line += 1;
      i = stop;
    } else if (char === '"' || char === "'") {
      const startLine = line;
      tokens.push({ type: 'string', value: readString(char), line: startLine });
    } else if (char === '`') {
      tokens.push({ type: 'template', line });
      i += 1;
      skipTemplateText();
    } else if (char === '}' && templateDepths.length > 0 && templateDepths.at(-1) === braceDepth - 1) {
      // The end of a `${…}` expression: back into the template's text.
      templateDepths.pop();
      braceDepth -= 1;
      i += 1;
      skipTemplateText();
    } else if (char === '/' && regexAllowedAfter(tokens.at(-1))) {
      let inClass = false;
      i += 1;
      while (i < source.length && source[i] !== '\n') {
        const regexChar = source[i];
        if (regexChar === '\\') {
          i += 2;
          continue;
        }
        if (regexChar === '[') inClass = true;
        else if (regexChar === ']') inClass = false;
        else if (regexChar === '/' && !inClass) break;
        i += 1;
      }
      i += 1;
      while (i < source.length && /[a-z]/i.test(source[i] ?? '')) i += 1;
      tokens.push({ type: 'template', line }); // a literal value, like a template
    } else if (/[A-Za-z_$\d]/.test(char)) {
      const start = i;
      while (i < source.length && /[A-Za-z_$\d]/.test(source[i] ?? '')) i += 1;
      tokens.push({ type: 'word', value: source.slice(start, i), line });
    } else {
      if (char === '{') braceDepth += 1;
      if (char === '}') braceDepth -= 1;
      tokens.push({ type: 'punct', value: char, line });
      i += 1;
    }
  }
  return tokens;
}

function isPunct(token: Token | undefined, value: string): boolean {
  return token?.type === 'punct' && token.value === value;
}

function isWord(token: Token | undefined, value: string): boolean {
  return token?.type === 'word' && token.value === value;
}

/** Index of the string after `from` in an import/export clause starting at `start`, or -1. */
function findFromSpecifier(tokens: Token[], start: number): number {
  for (let j = start; j < tokens.length; j += 1) {
    const token = tokens[j];
    if (isPunct(token, ';')) return -1;
    if (isWord(token, 'from') && tokens[j + 1]?.type === 'string') return j + 1;
    // A clause only holds names, braces, commas, `*`, `as` and `type`.
    if (token?.type === 'string' || token?.type === 'template') return -1;
    if (token?.type === 'punct' && !['{', '}', ',', '*'].includes(token.value)) return -1;
  }
  return -1;
}

/** Whether `process` at `index` ends `const { env } = process` (or `{ env: alias }`). */
function destructuresEnv(tokens: Token[], index: number): boolean {
  if (!isPunct(tokens[index - 1], '=') || !isPunct(tokens[index - 2], '}')) return false;
  let depth = 0;
  for (let j = index - 2; j >= 0; j -= 1) {
    const token = tokens[j];
    if (isPunct(token, '}')) depth += 1;
    if (isPunct(token, '{')) depth -= 1;
    if (depth === 1 && isWord(token, 'env')) return true;
    if (depth === 0) return false;
  }
  return false;
}

export function scanSource(source: string): SourceFacts {
  const tokens = tokenize(source);
  const imports: ImportRef[] = [];
  const envReads: number[] = [];
  let envImportedFromProcess = false;
  for (let j = 0; j < tokens.length; j += 1) {
    const token = tokens[j];
    if (token?.type !== 'word') continue;
    const previous = tokens[j - 1];
    const afterDot = isPunct(previous, '.') && !isPunct(tokens[j - 2], '.');
    const next = tokens[j + 1];
    if (token.value === 'import' && !afterDot) {
      if (next?.type === 'string') {
        imports.push({ specifier: next.value, kind: 'static', line: token.line });
      } else if (isPunct(next, '(')) {
        const argument = tokens[j + 2];
        const literal =
          argument?.type === 'string' && (isPunct(tokens[j + 3], ')') || isPunct(tokens[j + 3], ','));
        imports.push({ specifier: literal ? argument.value : null, kind: 'dynamic', line: token.line });
      } else if (!isPunct(next, '.')) {
        const at = findFromSpecifier(tokens, j + 1);
        const specifierToken = tokens[at];
        if (specifierToken?.type === 'string') {
          imports.push({ specifier: specifierToken.value, kind: 'static', line: token.line });
          const clause = tokens.slice(j + 1, at);
          if (
            (specifierToken.value === 'node:process' || specifierToken.value === 'process') &&
            clause.some((part) => isWord(part, 'env'))
          ) {
            envImportedFromProcess = true;
            envReads.push(token.line);
          }
        }
      }
    } else if (
      token.value === 'export' &&
      !afterDot &&
      (isPunct(next, '{') || isPunct(next, '*') || isWord(next, 'type'))
    ) {
      const at = findFromSpecifier(tokens, j + 1);
      const specifierToken = tokens[at];
      if (specifierToken?.type === 'string') {
        imports.push({ specifier: specifierToken.value, kind: 'static', line: token.line });
      }
    } else if (token.value === 'require' && !afterDot && isPunct(next, '(')) {
      const argument = tokens[j + 2];
      const literal = argument?.type === 'string' && isPunct(tokens[j + 3], ')');
      imports.push({ specifier: literal ? argument.value : null, kind: 'require', line: token.line });
    } else if (token.value === 'process') {
      const viaDot = isPunct(next, '.') && isWord(tokens[j + 2], 'env');
      const indexToken = tokens[j + 2];
      const viaIndex = isPunct(next, '[') && indexToken?.type === 'string' && indexToken.value === 'env';
      if (viaDot || viaIndex || destructuresEnv(tokens, j)) envReads.push(token.line);
    } else if (token.value === 'env' && envImportedFromProcess && !afterDot && !isPunct(next, ':')) {
      envReads.push(token.line);
    }
  }
  return { imports, envReads: [...new Set(envReads)].sort((a, b) => a - b) };
}
