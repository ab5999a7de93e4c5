// Indexing a folder of packages side by side with conda-index 0.13 (the conda project's indexer):
// the same generated folder of real archives (.conda and .tar.bz2, each with info/index.json,
// about.json, paths.json and a small payload), read and indexed by each tool as its own command.
//
//   node bench/indexers.bench.ts [--packages 2000] [--rounds 3] [--dest /tmp]
//     [--python .venv/bin/python]     (a Python with conda-index, as `npm test` installs it)
//
// Variants, in an order that rotates each round:
//   conda-index     `python -m conda_index DIR --no-current-repodata` on a fresh copy of the folder
//                   (it indexes in place; default threads, channeldata, .zst, shards off)
//   condasync       `condasync import DIR --mirror-dir OUT`: reads every archive, builds records
//                   like conda-index, and also copies each package into a new mirror (fsync'd),
//                   writes repodata.json(.zst), shards and channeldata
// conda-index keeps a cache database; each run starts without one, as a first index does.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { zstdCompressSync } from 'node:zlib';
import { compressBzip2Sync } from '@condasync/codecs';
import { json, type TarMember, tarArchive, zipArchive } from '../test/support/archive-builders.ts';
import { seededRandom } from './support/bench-utils.ts';

const CLI = path.join(import.meta.dirname, '../apps/cli/bin/condasync.js');
const VARIANTS = ['conda-index', 'condasync'] as const;

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** `count` packages, 80 % linux-64 and 20 % noarch, half .conda and half .tar.bz2. */
function generateFolder(root: string, count: number): void {
  const random = seededRandom(20261125);
  for (const subdir of ['linux-64', 'noarch']) mkdirSync(path.join(root, subdir), { recursive: true });
  for (let i = 0; i < count; i++) {
    const subdir = i % 5 === 4 ? 'noarch' : 'linux-64';
    const name = `pkg-${String(i % 400).padStart(3, '0')}`;
    const version = `${1 + Math.floor(i / 400)}.${Math.floor(random() * 20)}.0`;
    const build = `h${(i * 2654435761).toString(16).slice(0, 7)}_0`;
    const index = {
      arch: subdir === 'noarch' ? null : 'x86_64',
      build,
      build_number: 0,
      depends: ['python >=3.9', `pkg-${String((i + 7) % 400).padStart(3, '0')} >=1.0`],
      license: 'BSD-3-Clause',
      name,
      platform: subdir === 'noarch' ? null : 'linux',
      subdir,
      timestamp: 1_700_000_000_000 + i,
      version,
      ...(subdir === 'noarch' ? { noarch: 'generic' } : {}),
    };
    const payload = randomBytes(1024 + Math.floor(random() * 8192));
    const info: TarMember[] = [
      { name: 'info/index.json', body: json(index) },
      { name: 'info/about.json', body: json({ summary: `${name} for benchmarks`, license: 'BSD-3-Clause' }) },
      {
        name: 'info/paths.json',
        body: json({
          paths: [{ _path: `share/${name}/data.bin`, path_type: 'hardlink', size_in_bytes: payload.length }],
          paths_version: 1,
        }),
      },
    ];
    const data: TarMember = { name: `share/${name}/data.bin`, body: payload };
    const stem = `${name}-${version}-${build}`;
    const file = path.join(root, subdir, i % 2 === 0 ? `${stem}.conda` : `${stem}.tar.bz2`);
    if (file.endsWith('.conda')) {
      writeFileSync(
        file,
        zipArchive([
          { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
          { name: `pkg-${stem}.tar.zst`, data: zstdCompressSync(tarArchive([data])) },
          { name: `info-${stem}.tar.zst`, data: zstdCompressSync(tarArchive(info)) },
        ]),
      );
    } else {
      writeFileSync(file, compressBzip2Sync(tarArchive([...info, data]), { level: 9 }));
    }
  }
}

function countRecords(repodataPaths: string[]): number {
  let count = 0;
  for (const file of repodataPaths) {
    const document = JSON.parse(readFileSync(file, 'utf8')) as Record<
      string,
      Record<string, unknown> | undefined
    >;
    count +=
      Object.keys(document['packages'] ?? {}).length + Object.keys(document['packages.conda'] ?? {}).length;
  }
  return count;
}

function timed(command: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(-2000)}`);
  return seconds;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      packages: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '3' },
      dest: { type: 'string', default: tmpdir() },
      python: { type: 'string', default: path.join(import.meta.dirname, '../.venv/bin/python') },
    },
  });
  const packages = Number(values.packages);
  const root = mkdtempSync(path.join(values.dest, 'condasync-indexers-'));
  try {
    const source = path.join(root, 'source');
    generateFolder(source, packages);
    print(`generated ${packages} packages in ${source}`);
    const seconds = new Map<string, number[]>();
    for (let round = 0; round < Number(values.rounds); round++) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        const scratch = mkdtempSync(path.join(root, 'run-'));
        try {
          let wall: number;
          let outputs: string[];
          if (variant === 'conda-index') {
            const channel = path.join(scratch, 'channel');
            cpSync(source, channel, { recursive: true });
            execFileSync('sync');
            wall = timed(values.python, ['-m', 'conda_index', channel, '--no-current-repodata']);
            outputs = ['linux-64', 'noarch'].map((subdir) => path.join(channel, subdir, 'repodata.json'));
          } else {
            const mirror = path.join(scratch, 'mirror');
            wall = timed(process.execPath, [CLI, 'import', source, '--mirror-dir', mirror]);
            outputs = ['linux-64', 'noarch'].map((subdir) => path.join(mirror, subdir, 'repodata.json'));
          }
          const records = countRecords(outputs);
          if (records !== packages) throw new Error(`${variant} indexed ${records} of ${packages} packages`);
          print(
            `round ${round + 1} ${variant.padEnd(11)} ${wall.toFixed(2)} s, ${(packages / wall).toFixed(0)} packages/s`,
          );
          seconds.set(variant, [...(seconds.get(variant) ?? []), wall]);
        } finally {
          execFileSync('sync');
          rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const baseline = median(seconds.get('conda-index')!);
    print();
    for (const variant of VARIANTS) {
      const wall = median(seconds.get(variant)!);
      print(
        `${variant.padEnd(11)} median ${wall.toFixed(2)} s, ${(packages / wall).toFixed(0)} packages/s, ${(baseline / wall).toFixed(1)}× conda-index`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main();
