// A synthetic conda-forge-like repodata.json for the parse, write and shard benchmarks: records of
// ~600 B sorted by filename, 70 % `.conda`, seeded so every run benchmarks the same document.
import { createWriteStream } from 'node:fs';
import { compareFilenames } from '@condasync/conda';
import { close, seededRandom, write } from './bench-utils.ts';

/**
 * How records are spread over package names. `uniform`: every name about equally often.
 * `skewed`: a few names get thousands of records, like `python` or `libarrow` on conda-forge.
 */
export type NamePopularity = 'uniform' | 'skewed';

export interface SyntheticRepodataOptions {
  /** Records to draw. Fewer are written if the same filename is drawn twice (kept once). */
  count: number;
  /** Distinct package names; defaults to one name per 20 records. */
  nameCount?: number;
  /** The `info.subdir` and every record's `subdir`; defaults to `linux-64`. */
  subdir?: string;
  /** PRNG seed; the default is the seed the benchmarks have always used. */
  seed?: number;
  /** Defaults to `uniform`. */
  namePopularity?: NamePopularity;
}

export const DEFAULT_SYNTHETIC_SEED = 20260822;

const DEPENDS = [
  'libgcc-ng >=12',
  'libstdcxx-ng >=12',
  'python >=3.12,<3.13.0a0',
  'python_abi 3.12.* *_cp312',
  'libzlib >=1.2.13,<2.0.0a0',
  'openssl >=3.2.1,<4.0a0',
  'libblas >=3.9.0,<4.0a0',
  'numpy >=1.22.4,<2.0a0',
  'libcxx >=16',
  '__glibc >=2.17,<3.0.a0',
  'ca-certificates',
  'xz >=5.2.6,<6.0a0',
];
const LICENSES = ['BSD-3-Clause', 'MIT', 'Apache-2.0', 'GPL-3.0-or-later', 'LGPL-2.1-only'];

interface GeneratedEntry {
  filename: string;
  conda: boolean;
  json: string;
}

/** Writes the document to `file`; resolves to the number of records written. */
export async function writeSyntheticRepodata(
  file: string,
  options: SyntheticRepodataOptions,
): Promise<number> {
  const subdir = options.subdir ?? 'linux-64';
  const entries = generateEntries(options, subdir);
  const out = createWriteStream(file);
  let written = 0;
  await write(out, `{"info":{"subdir":${JSON.stringify(subdir)}},"packages":{`);
  for (const conda of [false, true]) {
    if (conda) await write(out, '},"packages.conda":{');
    let first = true;
    let previous = '';
    for (const entry of entries) {
      // Same name-version-build drawn twice: keep one, as a real subdir would.
      if (entry.conda !== conda || entry.filename === previous) continue;
      previous = entry.filename;
      await write(out, `${first ? '' : ','}${JSON.stringify(entry.filename)}:${entry.json}`);
      first = false;
      written++;
    }
  }
  await write(out, '},"removed":[],"repodata_version":1}');
  await close(out);
  return written;
}

/** The records, sorted by filename. The order of `random()` calls fixes the document: keep it. */
function generateEntries(options: SyntheticRepodataOptions, subdir: string): GeneratedEntry[] {
  const { count } = options;
  const random = seededRandom(options.seed ?? DEFAULT_SYNTHETIC_SEED);
  const exponent = (options.namePopularity ?? 'uniform') === 'skewed' ? 2 : 1;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (length: number) => {
    let out = '';
    while (out.length < length)
      out += Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return out.slice(0, length);
  };
  const nameCount = Math.max(1, options.nameCount ?? Math.floor(count / 20));
  const names = Array.from({ length: nameCount }, (_, i) => `pkg-${hex(6)}-${i}`);
  const entries: GeneratedEntry[] = [];
  for (let i = 0; i < count; i++) {
    const name = names[Math.floor(random() ** exponent * names.length)]!;
    const version = `${Math.floor(random() * 30)}.${Math.floor(random() * 20)}.${Math.floor(random() * 10)}`;
    const build = `py312h${hex(7)}_${i % 7}`;
    const conda = random() < 0.7;
    const depends = Array.from({ length: 4 + Math.floor(random() * 9) }, () => pick(DEPENDS));
    const record = {
      build,
      build_number: i % 7,
      constrains: random() < 0.5 ? [`${name}-base <0a0`] : undefined,
      depends,
      license: pick(LICENSES),
      license_family: 'BSD',
      md5: hex(32),
      name,
      sha256: hex(64),
      size: Math.floor(random() * 50_000_000),
      subdir,
      timestamp: 1_600_000_000_000 + Math.floor(random() * 1e11),
      version,
    };
    entries.push({
      filename: `${name}-${version}-${build}${conda ? '.conda' : '.tar.bz2'}`,
      conda,
      json: JSON.stringify(record),
    });
  }
  entries.sort((a, b) => compareFilenames(a.filename, b.filename));
  return entries;
}
