// A folder of package archives shaped like conda-forge's: info/ first in a .tar.bz2 (bzip2 -9, as
// conda-build writes them), a .conda with metadata.json, pkg-*.tar.zst and info-*.tar.zst members,
// info/ with index.json, about.json, paths.json (one entry per payload file), files, link.json or
// run_exports.json, and a payload of several files whose sizes follow a log-uniform spread
// (8 KiB – 1 MiB before compression, median ~90 KiB) and whose content compresses like real
// code and binaries (~3×), so hashing whole files and decompressing bzip2 blocks cost what they
// do on a real channel.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { json, type TarMember, tarArchive, zipArchive } from '../../test/support/archive-builders.ts';
import { seededRandom } from './bench-utils.ts';

const CORPUS_BYTES = 4 * 1024 * 1024;
const WORDS = [
  'def',
  'return',
  'self',
  'import',
  'numpy',
  'value',
  'if',
  'else',
  'for',
  'in',
  'range',
  'class',
  'None',
  'True',
  'False',
  'lambda',
  'yield',
  'with',
  'as',
  'raise',
  'Error',
  'config',
  'path',
  'data',
  'index',
];

/** Half text (source code-like), half low-entropy bytes (machine code-like). */
function corpus(random: () => number): Buffer {
  const bytes = Buffer.alloc(CORPUS_BYTES);
  let at = 0;
  while (at < CORPUS_BYTES / 2) {
    const word = `${WORDS[Math.floor(random() * WORDS.length)]}${random() < 0.15 ? '\n    ' : ' '}`;
    at += bytes.write(word, at);
  }
  for (; at < CORPUS_BYTES; at++) {
    // Skewed toward small values, like opcodes and zero-filled operands.
    const r = random();
    bytes[at] = r < 0.35 ? 0 : Math.floor(r * r * r * 256);
  }
  return bytes;
}

export interface GeneratedFolder {
  packages: number;
  bytes: number;
}

/**
 * `count` packages into `root/<subdir>/`, 80 % linux-64 and 20 % noarch, half .conda and half
 * .tar.bz2. Deterministic for a given count.
 */
export function generateRealShapedFolder(root: string, count: number): GeneratedFolder {
  const random = seededRandom(20261203);
  const text = corpus(random);
  let bytes = 0;
  for (const subdir of ['linux-64', 'noarch']) mkdirSync(path.join(root, subdir), { recursive: true });
  for (let i = 0; i < count; i++) {
    const subdir = i % 5 === 4 ? 'noarch' : 'linux-64';
    const name = `pkg-${String(i % 400).padStart(3, '0')}`;
    const version = `${1 + Math.floor(i / 400)}.${Math.floor(random() * 20)}.0`;
    const build = `h${(i * 2654435761).toString(16).slice(0, 7)}_0`;
    const stem = `${name}-${version}-${build}`;
    const total = Math.floor(8192 * 128 ** random());
    const fileCount = 1 + Math.floor(random() * 12);
    const payload: TarMember[] = [];
    for (let f = 0; f < fileCount; f++) {
      const size = Math.max(1, Math.floor(total / fileCount));
      const start = Math.floor(random() * (CORPUS_BYTES - size));
      const prefix = subdir === 'noarch' ? `site-packages/${name}` : `lib/${name}`;
      payload.push({
        name: `${prefix}/file_${f}.${subdir === 'noarch' ? 'py' : 'so'}`,
        body: text.subarray(start, start + size),
      });
    }
    const index = {
      arch: subdir === 'noarch' ? null : 'x86_64',
      build,
      build_number: 0,
      depends: ['python >=3.9', `pkg-${String((i + 7) % 400).padStart(3, '0')} >=1.0`, 'libgcc >=13'],
      license: 'BSD-3-Clause',
      name,
      platform: subdir === 'noarch' ? null : 'linux',
      subdir,
      timestamp: 1_700_000_000_000 + i,
      version,
      ...(subdir === 'noarch' ? { noarch: 'python' } : { constrains: [`${name}-docs ${version}`] }),
    };
    const about = {
      channels: ['https://conda.anaconda.org/conda-forge'],
      conda_build_version: '24.9.0',
      conda_version: '24.9.2',
      description: `${name} does useful things. `.repeat(8),
      dev_url: `https://github.com/example/${name}`,
      home: `https://example.org/${name}`,
      license: 'BSD-3-Clause',
      license_family: 'BSD',
      summary: `${name} for benchmarks`,
      extra: { recipe_maintainers: ['alice', 'bob'], feedstock_name: name },
    };
    const pathsJson = {
      paths: payload.map((member) => ({
        _path: member.name,
        path_type: 'hardlink',
        sha256: createHash('sha256')
          .update(member.body as Uint8Array)
          .digest('hex'),
        size_in_bytes: (member.body as Uint8Array).length,
      })),
      paths_version: 1,
    };
    const info: TarMember[] = [
      { name: 'info/about.json', body: json(about) },
      { name: 'info/files', body: `${payload.map((member) => member.name).join('\n')}\n` },
      { name: 'info/git', body: '' },
      {
        name: 'info/hash_input.json',
        body: json({ target_platform: subdir, channel_targets: 'conda-forge main' }),
      },
      { name: 'info/index.json', body: json(index) },
      subdir === 'noarch'
        ? { name: 'info/link.json', body: json({ noarch: { type: 'python' }, package_metadata_version: 1 }) }
        : {
            name: 'info/run_exports.json',
            body: json({ weak: [`${name} >=${version},<${1 + Number(version[0])}`] }),
          },
      { name: 'info/paths.json', body: json(pathsJson) },
      {
        name: 'info/recipe/meta.yaml',
        body: `package:\n  name: ${name}\n  version: ${version}\n`.repeat(10),
      },
    ];
    const file = path.join(root, subdir, i % 2 === 0 ? `${stem}.conda` : `${stem}.tar.bz2`);
    let archive: Uint8Array;
    if (file.endsWith('.conda')) {
      archive = zipArchive([
        { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
        { name: `pkg-${stem}.tar.zst`, data: zstdCompressSync(tarArchive(payload)) },
        { name: `info-${stem}.tar.zst`, data: zstdCompressSync(tarArchive(info)) },
      ]);
    } else {
      // libbz2 (the `bzip2` binary) at -9, as conda-build's tarfile writes it.
      archive = execFileSync('bzip2', ['-9', '-c'], {
        input: tarArchive([...info, ...payload]),
        maxBuffer: 64 * 1024 * 1024,
      });
    }
    writeFileSync(file, archive);
    bytes += archive.length;
  }
  return { packages: count, bytes };
}
