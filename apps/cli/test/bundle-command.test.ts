import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../bin/condasync.js');
const formatRepo = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/conda_format_repo',
);

async function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1)));
}

async function listing(root: string): Promise<string[]> {
  const all = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return all.filter((p) => !p.startsWith('.')).sort();
}

test('condasync export - | condasync import - copies the channel; a damaged bundle exits 4 naming the member', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'condasync-bundle-cli-'));
  const env = { ...process.env, CONDASYNC_WORK_DIR: join(dir, 'work') };
  try {
    const source = join(dir, 'source');
    const copy = join(dir, 'copy');
    await run(process.execPath, [bin, 'import', formatRepo, '--mirror-dir', source, '-l', 'error'], {
      env,
    }).catch(
      () => undefined, // the fixture lists files it does not ship: exit 1, the rest is published
    );
    await writeFile(join(dir, 'source.yaml'), `mirror_dir: ${source}\n`);
    await writeFile(join(dir, 'copy.yaml'), `mirror_dir: ${copy}\n`);

    const exporter = spawn(process.execPath, [bin, 'export', '-f', join(dir, 'source.yaml'), '-'], { env });
    const importer = spawn(
      process.execPath,
      [bin, 'import', '-', '-f', join(dir, 'copy.yaml'), '-l', 'error'],
      {
        env,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    exporter.stdout.pipe(importer.stdin);
    let said = '';
    importer.stdout!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
    });
    assert.deepEqual(await Promise.all([exitOf(exporter), exitOf(importer)]), [0, 0]);
    assert.match(said, /imported a full bundle of .*source/);
    const files = await listing(source);
    assert.ok(files.includes('linux-64/repodata.json') && files.includes('channeldata.json'));
    assert.deepEqual(await listing(copy), files);
    for (const file of [
      'linux-64/repodata.json',
      'osx-64/zlib-1.2.11-h1de35cc_3.conda',
      'channeldata.json',
    ]) {
      assert.deepEqual(await readFile(join(copy, file)), await readFile(join(source, file)), file);
    }

    const bundle = join(dir, 'source.tar');
    await run(process.execPath, [bin, 'export', '-f', join(dir, 'source.yaml'), bundle], { env });
    const bytes = await readFile(bundle);
    const member = 'win-64/zlib-1.2.11-h62dcd97_3.conda';
    let header = bytes.indexOf(member);
    while (header % 512 !== 0) header = bytes.indexOf(member, header + 1);
    bytes[header + 512 + 7]! ^= 0x80;
    await writeFile(bundle, bytes);
    const refused = await run(process.execPath, [bin, 'import', bundle, '-f', join(dir, 'fresh.yaml')], {
      env,
    }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((refused as { code: number }).code, 2, 'fresh.yaml does not exist yet: bad usage');
    await writeFile(join(dir, 'fresh.yaml'), `mirror_dir: ${join(dir, 'fresh')}\n`);
    const damaged = await run(process.execPath, [bin, 'import', bundle, '-f', join(dir, 'fresh.yaml')], {
      env,
    }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((damaged as { code: number }).code, 4);
    assert.match((damaged as { stderr: string }).stderr, /nothing was published/);
    assert.match(
      (damaged as { stderr: string }).stderr,
      /win-64\/zlib-1\.2\.11-h62dcd97_3\.conda does not match/,
    );
    assert.ok(!(await listing(join(dir, 'fresh'))).some((p) => p.endsWith('.json')), 'no metadata published');

    // Not a tar at all: refused the same way. A config naming no published channel: nothing exported.
    const notTar = await run(
      process.execPath,
      [bin, 'import', join(dir, 'fresh.yaml'), '-f', join(dir, 'fresh.yaml')],
      {
        env,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    assert.equal((notTar as { code: number }).code, 4);
    assert.match((notTar as { stderr: string }).stderr, /the bundle is damaged .*nothing was published/);
    const empty = await run(
      process.execPath,
      [bin, 'export', '-f', join(dir, 'fresh.yaml'), join(dir, 'e.tar')],
      {
        env,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    assert.equal((empty as { code: number }).code, 3);
    assert.match(
      (empty as { stderr: string }).stderr,
      /no <subdir>\/repodata\.json to export\nNo bundle was written/,
    );
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith('e.tar')),
      [],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
