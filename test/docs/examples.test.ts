// Docs that cannot drift: every example config loads, every sync config shown in the README and
// docs/ loads, and every environment shown there passes the API's and the workers' validation.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadApiConfig } from '@condasync/api';
import { parseSyncConfig } from '@condasync/mirror';
import { loadWorkerConfig } from '@condasync/worker';

const root = join(import.meta.dirname, '../..');
const documents = ['README.md', 'docs/configuration.md', 'docs/deployment.md'];

interface CodeBlock {
  document: string;
  line: number;
  info: string;
  text: string;
}

/** The fenced code blocks of a Markdown file, with their info strings (```yaml sync-config). */
async function codeBlocks(document: string): Promise<CodeBlock[]> {
  const lines = (await readFile(join(root, document), 'utf8')).split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S.*)?$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i] ?? '');
    blocks.push({ document, line: start + 1, info: open[1] ?? '', text: `${body.join('\n')}\n` });
  }
  return blocks;
}

/**
 * `export A=1 B=2`, `A=1 command …` and `--from-literal=A=1` in a shell block; values with `$(` skipped.
 */
function environmentOf(shell: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of shell.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^export\s+/, '');
    for (const match of line.matchAll(
      /(?:^|[\s=])((?:CONDASYNC_|PORT\b|HOST\b)[A-Z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g,
    )) {
      const [, name, value] = match as unknown as [string, string, string];
      if (value.includes('$(')) continue;
      env[name] = value.replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return env;
}

/** A valid environment that each documented one is laid over, so a block may show only a part. */
const baseline = {
  CONDASYNC_REDIS_URL: 'redis://127.0.0.1:6379',
  CONDASYNC_STORAGE_URL: 'file:///srv/condasync',
};

describe('documentation', async () => {
  const blocks = (await Promise.all(documents.map(codeBlocks))).flat();

  test('every config in examples/ loads', async () => {
    const files = (await readdir(join(root, 'examples'))).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length >= 3, `only ${files.length} examples`);
    for (const file of files) {
      const text = await readFile(join(root, 'examples', file), 'utf8');
      assert.doesNotThrow(
        () => parseSyncConfig(text, { sourceName: `examples/${file}` }),
        `examples/${file}`,
      );
    }
  });

  test("examples/ has a config for each of the seed guide's scenarios, and each says what it claims", async () => {
    const load = async (file: string) =>
      parseSyncConfig(await readFile(join(root, 'examples', file), 'utf8'), { sourceName: file });
    const defaults = await load('all-defaults.yaml');
    assert.deepEqual(
      [...defaults.channels],
      ['main', 'free', 'pro'].map((name) => `https://repo.anaconda.com/pkgs/${name}`),
    );
    assert.equal(defaults.mirror_dir, null);
    const partial = await load('partial-mirror.yaml');
    assert.ok(partial.platforms.length < defaults.platforms.length);
    assert.ok(partial.license_blacklist.length > 0 && partial.whitelist.length > 0);
    // The pair: the import reads, as a file:// channel, the folder the export writes.
    const exported = await load('offline-export.yaml');
    const imported = await load('offline-import.yaml');
    assert.ok(exported.mirror_dir !== null && exported.pkg_list !== null);
    assert.deepEqual([...imported.channels], [`file://${exported.mirror_dir}`]);
    assert.deepEqual([...imported.platforms], [...exported.platforms]);
    assert.deepEqual([...(await load('r-channel.yaml')).channels], ['https://conda.anaconda.org/r']);
    assert.match((await load('token-channel.yaml')).channels[0] ?? '', /\/t\/[A-Za-z0-9-]+\//);
  });

  test('every sync config shown in the README and docs/ loads', () => {
    const configs = blocks.filter((block) => /^ya?ml\b.*\bsync-config\b/.test(block.info));
    for (const document of ['README.md', 'docs/configuration.md']) {
      assert.ok(
        configs.some((block) => block.document === document),
        `${document} shows no \`\`\`yaml sync-config block`,
      );
    }
    for (const block of configs) {
      const where = `${block.document}:${block.line}`;
      assert.doesNotThrow(() => parseSyncConfig(block.text, { sourceName: where }), where);
    }
  });

  test('every environment shown in the README and docs/ passes the API and worker validation', () => {
    const shells = blocks.filter((block) => /^(sh|bash|shell)\b/.test(block.info));
    let checked = 0;
    for (const block of shells) {
      const shown = environmentOf(block.text);
      if (Object.keys(shown).length === 0) continue;
      const env = { ...baseline, ...shown };
      const where = `${block.document}:${block.line} sets ${Object.keys(shown).join(', ')}`;
      assert.doesNotThrow(() => loadApiConfig(env), where);
      assert.doesNotThrow(() => loadWorkerConfig(env), where);
      checked++;
    }
    assert.ok(checked >= 2, `only ${checked} environment examples found`);
  });
});
