// The architecture boundaries of docs/design.md §1, enforced: what each workspace may import, and
// that only apps read the environment. Rules apply to workspace sources (src/, bin/); tests may
// import test helpers but must not reach into another workspace by relative path; benches use the
// libraries only through their public entry points (`@condasync/<lib>`).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { scanSource } from './support/import-scanner.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const APPS = ['api', 'worker', 'cli'];
/**
 * Codec libraries: only libs/codecs may import them (everyone else goes through
 * @condasync/codecs), and libs/codecs imports nothing else but node: built-ins.
 */
const CODEC_LIBRARIES: readonly string[] = [];
/** Codec libraries other workspaces must not reach for directly (BullMQ pulls msgpackr in, for one). */
const FOREIGN_CODECS = [
  /^fzstd$/,
  /^@msgpack\/msgpack$/,
  /^msgpackr$/,
  /^tar(-stream)?$/,
  /^yauzl$/,
  /^unbzip2-stream$/,
  /^seek-bzip$/,
  /^fflate$/,
];
const HTTP_SERVERS = [/^fastify$/, /^@fastify\//];
const QUEUES = [/^bullmq$/, /^ioredis$/];
const METRICS = [/^prom-client$/];

interface Violation {
  file: string;
  line: number;
  message: string;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function matchesAny(specifier: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((pattern) => pattern.test(specifier));
}

/** Why `specifier` may not be imported from workspace source `lib` or `app`, or null. */
function forbiddenBareImport(group: string, workspace: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  const name = packageName(specifier);
  if (workspace === 'codecs' && group === 'libs') {
    if (CODEC_LIBRARIES.includes(name)) return null;
    return 'libs/codecs imports only node: built-ins and its chosen codec libraries (it knows no conda and no other workspace)';
  }
  if (matchesAny(name, FOREIGN_CODECS) || CODEC_LIBRARIES.includes(name)) {
    return 'codecs live in libs/codecs: import them from @condasync/codecs';
  }
  if (group === 'libs') {
    if (name.startsWith('@condasync/') && APPS.includes(name.slice('@condasync/'.length))) {
      return 'libraries never import apps';
    }
    if (workspace === 'conda') {
      if (name === '@conda-org/rattler' || name === '@condasync/codecs') return null;
      return 'libs/conda imports only node: built-ins, @conda-org/rattler, @condasync/codecs and relative paths';
    }
    if (workspace === 'storage') {
      if (name.startsWith('@condasync/') || name === '@conda-org/rattler') {
        return 'libs/storage knows nothing of conda or the other workspaces';
      }
      if (matchesAny(name, [...QUEUES, ...HTTP_SERVERS, ...METRICS])) {
        return 'libs/storage knows no queue, HTTP server or metrics (apps pass hooks in)';
      }
    }
    if (workspace === 'env') {
      if (name !== '@condasync/storage') {
        return 'libs/env imports only node: built-ins and @condasync/storage (it checks settings, it connects to nothing)';
      }
    }
    if (workspace === 'mirror') {
      if (name === '@condasync/queue' || matchesAny(name, [/^bullmq$/, ...HTTP_SERVERS, ...METRICS])) {
        return 'libs/mirror knows no queue, HTTP server or metrics registry (the worker and the CLI run its steps)';
      }
    }
    if (workspace === 'queue') {
      if (name === '@condasync/mirror' || matchesAny(name, HTTP_SERVERS)) {
        return 'libs/queue knows no HTTP server and not the mirror steps';
      }
    }
    return null;
  }
  const otherApp = name.startsWith('@condasync/') ? name.slice('@condasync/'.length) : '';
  if (APPS.includes(otherApp) && otherApp !== workspace) {
    const entryModuleFromCli =
      workspace === 'cli' && (specifier === '@condasync/api' || specifier === '@condasync/worker');
    if (!entryModuleFromCli) {
      return `apps never import another app's internals (only the CLI may import the api and worker entry modules)`;
    }
  }
  return null;
}

/** Checks one file, given its repo-relative path with forward slashes. */
function checkSource(relFile: string, source: string): Violation[] {
  const match = /^(libs|apps)\/([^/]+)\/(src|bin|test)\//.exec(relFile);
  if (match === null) return [];
  const [, group = '', workspace = '', area = ''] = match;
  const isSource = area !== 'test';
  const facts = scanSource(source);
  const violations: Violation[] = [];
  const report = (line: number, message: string) => violations.push({ file: relFile, line, message });

  for (const ref of facts.imports) {
    if (ref.specifier === null) {
      if (group === 'libs' && isSource)
        report(ref.line, `${ref.kind} import of a computed specifier cannot be checked`);
      continue;
    }
    const specifier = ref.specifier;
    if (specifier.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(relFile), specifier));
      const ownWorkspace = `${group}/${workspace}/`;
      const allowed = isSource ? [ownWorkspace] : [ownWorkspace, 'test/'];
      if (!allowed.some((prefix) => target.startsWith(prefix))) {
        report(
          ref.line,
          `import '${specifier}' reaches outside ${ownWorkspace} (import other workspaces by package name)`,
        );
      }
      continue;
    }
    if (!isSource) continue;
    const reason = forbiddenBareImport(group, workspace, specifier);
    if (reason !== null) report(ref.line, `import '${specifier}': ${reason}`);
  }
  if (group === 'libs' && isSource) {
    for (const line of facts.envReads) {
      report(line, 'reads process.env: only apps read the environment (pass values in)');
    }
  }
  return violations;
}

/**
 * A bench measures what users get, so it imports a library by its package name and entry point
 * only. Relative imports stay in bench/ or reach test helpers (test/support/, a workspace's test/
 * builders), never a workspace's src/ or bin/.
 */
function checkBenchSource(relFile: string, source: string): Violation[] {
  const violations: Violation[] = [];
  for (const ref of scanSource(source).imports) {
    const specifier = ref.specifier;
    if (specifier === null) continue;
    if (specifier.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(relFile), specifier));
      const testHelper = /^(test\/|(libs|apps)\/[^/]+\/test\/)/.test(target) && !target.endsWith('.test.ts');
      if (!target.startsWith('bench/') && !testHelper) {
        violations.push({
          file: relFile,
          line: ref.line,
          message: `import '${specifier}' reaches past a package boundary (import @condasync/<lib> instead)`,
        });
      }
      continue;
    }
    if (specifier.startsWith('@condasync/') && specifier.split('/').length > 2) {
      violations.push({
        file: relFile,
        line: ref.line,
        message: `import '${specifier}' reaches past the package's entry point (import ${packageName(specifier)})`,
      });
    }
  }
  return violations;
}

async function listBenchFiles(): Promise<string[]> {
  const entries = await readdir(path.join(REPO_ROOT, 'bench'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && SOURCE_EXTENSIONS.includes(path.extname(entry.name)))
    .map((entry) =>
      path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    )
    .sort();
}

async function listSourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const group of ['libs', 'apps']) {
    const workspaces = await readdir(path.join(REPO_ROOT, group), { withFileTypes: true });
    for (const workspace of workspaces.filter((entry) => entry.isDirectory())) {
      for (const area of ['src', 'bin', 'test']) {
        const dir = path.join(REPO_ROOT, group, workspace.name, area);
        const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
        for (const entry of entries) {
          const full = path.join(entry.parentPath, entry.name);
          if (
            entry.isFile() &&
            SOURCE_EXTENSIONS.includes(path.extname(entry.name)) &&
            !full.includes('node_modules')
          ) {
            files.push(path.relative(REPO_ROOT, full).split(path.sep).join('/'));
          }
        }
      }
    }
  }
  return files.sort();
}

function format(violation: Violation): string {
  return `${violation.file}:${violation.line}: ${violation.message}`;
}

test('every workspace file respects the architecture boundaries', async () => {
  const files = await listSourceFiles();
  assert.ok(files.length > 0, 'found no source files under libs/*/ and apps/*/: the scan itself is broken');
  const violations: Violation[] = [];
  for (const file of files) {
    violations.push(...checkSource(file, await readFile(path.join(REPO_ROOT, file), 'utf8')));
  }
  assert.deepEqual(violations.map(format), [], `boundary violations:\n${violations.map(format).join('\n')}`);
});

test('every bench imports the libraries through their public entry points', async () => {
  const files = await listBenchFiles();
  assert.ok(files.length > 0, 'found no bench files: the scan itself is broken');
  const violations: Violation[] = [];
  for (const file of files) {
    violations.push(...checkBenchSource(file, await readFile(path.join(REPO_ROOT, file), 'utf8')));
  }
  assert.deepEqual(
    violations.map(format),
    [],
    `bench imports past a boundary:\n${violations.map(format).join('\n')}`,
  );
});

describe('the boundary check catches violations', () => {
  const messages = (file: string, source: string) => checkSource(file, source).map(format);

  test('libs/conda: only node:, @conda-org/rattler, @condasync/codecs and relative imports', () => {
    const clean = [
      "import { createHash } from 'node:crypto';",
      "import type { Version } from '@conda-org/rattler';",
      "import { CondaError } from '../errors.ts';",
      "import { decompressZstd } from '@condasync/codecs';",
    ].join('\n');
    assert.deepEqual(messages('libs/conda/src/repodata/parse.ts', clean), []);
    const [undiciImport] = messages(
      'libs/conda/src/repodata/parse.ts',
      `${clean}\nimport { request } from 'undici';`,
    );
    assert.match(
      undiciImport ?? '',
      /^libs\/conda\/src\/repodata\/parse\.ts:5: import 'undici': libs\/conda imports only/,
    );
    assert.equal(messages('libs/conda/src/x.ts', "const m = await import('@condasync/storage');").length, 1);
  });

  test('codecs live in libs/codecs: no other workspace imports a codec library', () => {
    for (const specifier of ['fzstd', 'msgpackr', '@msgpack/msgpack', 'tar-stream', 'tar', 'yauzl']) {
      const source = `import x from '${specifier}';`;
      for (const file of [
        'libs/conda/src/package/read-conda-archive.ts',
        'libs/conda/src/shards/read-shards.ts',
        'libs/mirror/src/upstream/shard-records.ts',
        'apps/worker/src/main.ts',
      ]) {
        assert.match(
          messages(file, source).join('\n'),
          /codecs live in libs\/codecs/,
          `${specifier} in ${file}`,
        );
      }
    }
  });

  test('libs/codecs: only node: built-ins and its chosen codec libraries, no workspace', () => {
    const clean = [
      "import { createZstdDecompress } from 'node:zlib';",
      "import { CodecError } from '../errors.ts';",
      ...CODEC_LIBRARIES.map((name) => `import x from '${name}';`),
    ].join('\n');
    assert.deepEqual(messages('libs/codecs/src/zstd/decompress-zstd.ts', clean), []);
    for (const specifier of ['@condasync/conda', '@conda-org/rattler', 'undici', 'fzstd']) {
      assert.equal(
        messages('libs/codecs/src/tar/tar-reader.ts', `import x from '${specifier}';`).length,
        1,
        specifier,
      );
    }
  });

  test('no lib reads process.env, however it is spelled', () => {
    for (const source of [
      'const url = process.env.CONDASYNC_REDIS_URL;',
      "const url = process['env']['X'];",
      'const { env } = process;',
      "import { env } from 'node:process';\nconst x = env.X;",
    ]) {
      const found = messages('libs/mirror/src/config/load.ts', source);
      assert.ok(
        found.some((message) => message.includes('reads process.env')),
        source,
      );
    }
    assert.deepEqual(
      messages('apps/worker/src/config.ts', 'const url = process.env.CONDASYNC_REDIS_URL;'),
      [],
    );
  });

  test('libs/storage: no conda, queue, HTTP server, metrics or other workspaces', () => {
    for (const specifier of [
      '@condasync/conda',
      '@conda-org/rattler',
      'bullmq',
      'fastify',
      'prom-client',
      '@condasync/queue',
    ]) {
      assert.equal(
        messages('libs/storage/src/s3-store.ts', `import x from '${specifier}';`).length,
        1,
        specifier,
      );
    }
    assert.deepEqual(messages('libs/storage/src/s3-store.ts', "import { Client } from 'undici';"), []);
  });

  test('libs/env: only node: built-ins and libs/storage', () => {
    for (const specifier of ['ioredis', 'fastify', 'pino', '@condasync/queue', '@condasync/mirror']) {
      assert.equal(
        messages('libs/env/src/env-reader.ts', `import x from '${specifier}';`).length,
        1,
        specifier,
      );
    }
    assert.deepEqual(
      messages('libs/env/src/env-reader.ts', "import { storageUrlProblem } from '@condasync/storage';"),
      [],
    );
    assert.ok(
      messages('libs/env/src/env-reader.ts', 'const url = process.env.CONDASYNC_REDIS_URL;').some((m) =>
        m.includes('reads process.env'),
      ),
    );
  });

  test('libs/mirror: no queue, HTTP server or metrics', () => {
    for (const specifier of ['bullmq', 'fastify', '@fastify/swagger', 'prom-client', '@condasync/queue']) {
      assert.equal(
        messages('libs/mirror/src/steps/plan.ts', `export { x } from '${specifier}';`).length,
        1,
        specifier,
      );
    }
    assert.deepEqual(
      messages('libs/mirror/src/steps/plan.ts', "import { parse } from '@condasync/conda';"),
      [],
    );
  });

  test('libs/queue: no HTTP server, no mirror', () => {
    assert.equal(messages('libs/queue/src/queues.ts', "import Fastify from 'fastify';").length, 1);
    assert.equal(messages('libs/queue/src/queues.ts', "import { plan } from '@condasync/mirror';").length, 1);
    assert.deepEqual(messages('libs/queue/src/queues.ts', "import { Queue } from 'bullmq';"), []);
  });

  test('libs never import apps', () => {
    assert.equal(messages('libs/mirror/src/x.ts', "import { buildApp } from '@condasync/api';").length, 1);
  });

  test("apps import no other app's internals; the CLI may import the api and worker entry modules", () => {
    assert.equal(messages('apps/worker/src/main.ts', "import { buildApp } from '@condasync/api';").length, 1);
    assert.equal(
      messages('apps/api/src/app.ts', "import { jobs } from '../../worker/src/jobs.ts';").length,
      1,
    );
    assert.deepEqual(
      messages('apps/cli/src/commands/serve.ts', "import { buildApp } from '@condasync/api';"),
      [],
    );
    assert.deepEqual(
      messages('apps/cli/src/commands/work.ts', "const w = await import('@condasync/worker');"),
      [],
    );
    assert.equal(
      messages('apps/cli/src/commands/serve.ts', "import x from '@condasync/api/src/app.ts';").length,
      1,
    );
  });

  test('relative imports stay in their workspace; tests may also use the root test helpers', () => {
    assert.equal(
      messages('libs/mirror/src/steps/plan.ts', "import { x } from '../../../conda/src/index.ts';").length,
      1,
    );
    assert.deepEqual(
      messages('libs/mirror/test/steps/plan.test.ts', "import { x } from '../../src/steps/plan.ts';"),
      [],
    );
    assert.deepEqual(
      messages(
        'libs/queue/test/queues.test.ts',
        "import { testRedisUrl } from '../../../test/support/services.ts';",
      ),
      [],
    );
    assert.equal(
      messages('libs/queue/test/queues.test.ts', "import { x } from '../../storage/src/keys.ts';").length,
      1,
    );
  });
});

describe('the bench boundary check catches violations', () => {
  const messages = (file: string, source: string) => checkBenchSource(file, source).map(format);

  test('a bench may import entry points, bench files and test helpers', () => {
    const clean = [
      "import { parseRepodata } from '@condasync/conda';",
      "import { Queue } from 'bullmq';",
      "import { print } from './support/bench-utils.ts';",
      "import { startRole } from '../test/support/roles.ts';",
      "import { tarArchive } from '../libs/conda/test/package/archive-builders.ts';",
    ].join('\n');
    assert.deepEqual(messages('bench/plan.bench.ts', clean), []);
    assert.deepEqual(
      messages('bench/support/synthetic-repodata.ts', "import { x } from '../bench-utils.ts';"),
      [],
    );
  });

  test('a bench may not reach into a library by path or past its entry point', () => {
    const [byPath] = messages(
      'bench/plan.bench.ts',
      "import { parseRepodata } from '../libs/conda/src/repodata/index.ts';",
    );
    assert.match(
      byPath ?? '',
      /^bench\/plan\.bench\.ts:1: import '\.\.\/libs\/conda\/src\/repodata\/index\.ts' reaches past/,
    );
    assert.equal(
      messages('bench/support/synthetic-repodata.ts', "import { x } from '../../libs/conda/src/index.ts';")
        .length,
      1,
    );
    assert.equal(
      messages('bench/plan.bench.ts', "import { x } from '../apps/worker/src/jobs.ts';").length,
      1,
    );
    assert.equal(
      messages('bench/plan.bench.ts', "import { x } from '@condasync/conda/src/shards/index.ts';").length,
      1,
    );
    assert.equal(
      messages('bench/plan.bench.ts', "import { x } from '../libs/conda/test/filter.test.ts';").length,
      1,
    );
  });
});

describe('the import scanner', () => {
  test('finds static, type-only, side-effect, re-export, dynamic and require imports', () => {
    const source = [
      "import fs from 'node:fs';",
      'import {',
      '  a,',
      '  type B,',
      "} from './multi-line.ts';",
      "import type { C } from './types.ts';",
      "import './side-effect.ts';",
      "export * from './star.ts';",
      "export { d as e } from './named.ts';",
      "const lazy = await import('./lazy.ts');",
      'const computed = await import(name);',
      "const legacy = require('legacy');",
      'const meta = import.meta.dirname;',
    ].join('\n');
    assert.deepEqual(
      scanSource(source).imports.map((ref) => [ref.specifier, ref.kind, ref.line]),
      [
        ['node:fs', 'static', 1],
        ['./multi-line.ts', 'static', 2],
        ['./types.ts', 'static', 6],
        ['./side-effect.ts', 'static', 7],
        ['./star.ts', 'static', 8],
        ['./named.ts', 'static', 9],
        ['./lazy.ts', 'dynamic', 10],
        [null, 'dynamic', 11],
        ['legacy', 'require', 12],
      ],
    );
  });

  test('ignores imports and process.env inside comments, strings, templates and regexes', () => {
    const source = [
      "// import x from 'in-a-comment';",
      "/* import('in-a-block-comment') process.env.X */",
      'const text = "import y from \'in-a-string\' process.env";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text for the scanner
      "const template = `import z from 'in-a-template' ${value} process.env`;",
      "const pattern = /import w from 'in-a-regex'/;",
      'const ratio = a / b; const other = c / d;',
      "import real from 'real';",
    ].join('\n');
    const facts = scanSource(source);
    assert.deepEqual(
      facts.imports.map((ref) => ref.specifier),
      ['real'],
    );
    assert.deepEqual(facts.envReads, []);
  });

  test('follows template expressions back into code', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text for the scanner
    const source = 'const s = `a ${ { b: 1 }.b } c`;\nconst e = process.env.X;\n';
    assert.deepEqual(scanSource(source).envReads, [2]);
  });
});
