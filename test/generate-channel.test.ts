// The synthetic channel generator feeds the benchmarks: its repodata must describe the bytes it
// wrote, exactly, and the same seed must give the same channel.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateChannel } from '../bench/generate-channel.ts';

interface GeneratedRecord {
  build: string;
  build_number: number;
  depends: string[];
  license: string;
  md5: string;
  name: string;
  noarch?: string;
  sha256: string;
  size: number;
  subdir: string;
  timestamp: number;
  version: string;
}

interface Repodata {
  info: { subdir: string };
  packages: Record<string, GeneratedRecord>;
  'packages.conda': Record<string, GeneratedRecord>;
  removed: string[];
  repodata_version: number;
}

let workDir: string;

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'generate-channel-'));
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function readRepodata(channel: string, subdir: string): Promise<Repodata> {
  return JSON.parse(await readFile(path.join(channel, subdir, 'repodata.json'), 'utf8')) as Repodata;
}

test('every record describes the exact bytes of its file', async () => {
  const outDir = path.join(workDir, 'checked');
  const result = await generateChannel({ outDir, packages: 40, subdirs: ['linux-64', 'osx-arm64'], seed: 7 });
  assert.deepEqual(
    result.subdirs.map((entry) => [entry.subdir, entry.packages]),
    [
      ['linux-64', 40],
      ['noarch', 10],
      ['osx-arm64', 40],
    ],
  );
  let totalBytes = 0;
  for (const { subdir, packages } of result.subdirs) {
    const repodata = await readRepodata(outDir, subdir);
    assert.deepEqual(repodata.info, { subdir });
    assert.deepEqual(repodata.removed, []);
    const entries = [
      ...Object.entries(repodata.packages).map(([name, record]) => [name, record, '.tar.bz2'] as const),
      ...Object.entries(repodata['packages.conda']).map(
        ([name, record]) => [name, record, '.conda'] as const,
      ),
    ];
    assert.equal(entries.length, packages);
    assert.ok(
      Object.keys(repodata.packages).length > 0 && Object.keys(repodata['packages.conda']).length > 0,
    );
    const files = (await readdir(path.join(outDir, subdir))).filter((name) => name !== 'repodata.json');
    assert.equal(files.length, packages);
    for (const [filename, record, extension] of entries) {
      assert.ok(filename.endsWith(extension), filename);
      assert.equal(filename, `${record.name}-${record.version}-${record.build}${extension}`);
      assert.match(record.name, /^[a-z0-9][a-z0-9_.-]*$/);
      assert.equal(record.subdir, subdir);
      assert.ok(Number.isInteger(record.timestamp) && record.timestamp > 1e12, 'timestamp in ms');
      assert.ok(Array.isArray(record.depends) && record.depends.length > 0);
      assert.equal(record.noarch, subdir === 'noarch' ? 'python' : undefined);
      assert.ok(record.build.endsWith(`_${record.build_number}`));
      const bytes = await readFile(path.join(outDir, subdir, filename));
      assert.equal(bytes.length, record.size, filename);
      assert.ok(record.size >= 1024 && record.size <= 16 * 1024, `${filename} is ${record.size} bytes`);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), record.sha256, filename);
      assert.equal(createHash('md5').update(bytes).digest('hex'), record.md5, filename);
      totalBytes += bytes.length;
    }
  }
  assert.equal(result.bytes, totalBytes);
});

test('the same seed gives the same channel, another seed a different one', async () => {
  const first = path.join(workDir, 'seed-a');
  const again = path.join(workDir, 'seed-a-again');
  const other = path.join(workDir, 'seed-b');
  await generateChannel({ outDir: first, packages: 12, seed: 3 });
  await generateChannel({ outDir: again, packages: 12, seed: 3 });
  await generateChannel({ outDir: other, packages: 12, seed: 4 });
  const read = (dir: string) => readFile(path.join(dir, 'linux-64', 'repodata.json'), 'utf8');
  assert.equal(await read(first), await read(again));
  assert.notEqual(await read(first), await read(other));
});

test('metadata-only writes repodata.json and no package files', async () => {
  const outDir = path.join(workDir, 'metadata-only');
  const result = await generateChannel({
    outDir,
    packages: 3000,
    noarchPackages: 5,
    writePackages: false,
    sizes: { minBytes: 100, maxBytes: 200 },
  });
  assert.equal(result.packages, 3005);
  assert.deepEqual(await readdir(path.join(outDir, 'linux-64')), ['repodata.json']);
  const repodata = await readRepodata(outDir, 'linux-64');
  const records = [...Object.values(repodata.packages), ...Object.values(repodata['packages.conda'])];
  assert.equal(records.length, 3000);
  assert.equal(new Set(records.map((record) => record.sha256)).size, 3000);
  assert.ok(
    records.every((record) => /^[0-9a-f]{64}$/.test(record.sha256) && /^[0-9a-f]{32}$/.test(record.md5)),
  );
  assert.ok(records.every((record) => record.size >= 100 && record.size <= 200));
});

test('rejects options it cannot honour, naming the value', async () => {
  await assert.rejects(generateChannel({ outDir: workDir, packages: -1 }), /packages -1 is not valid/);
  await assert.rejects(
    generateChannel({ outDir: workDir, packages: 1, condaFraction: 2 }),
    /condaFraction 2 is not valid/,
  );
});
