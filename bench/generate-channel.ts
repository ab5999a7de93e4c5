// Generates a synthetic conda channel for benchmarks and tests: realistic names, versions and
// builds, deterministic pseudo-random package bytes, and a `repodata.json` per subdir whose
// size/sha256/md5 match those bytes. Package files are not real archives (nothing here unpacks
// them); they only have to be fetched, hashed and stored.
//
//   node bench/generate-channel.ts --out DIR [--packages N] [--subdirs linux-64,osx-arm64]
//     [--noarch-packages N] [--size small|large|MIN-MAX] [--seed S] [--conda-fraction F]
//     [--packages-per-name 6] [--metadata-only]
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** File sizes: `small` 1–16 KiB, `large` 1–16 MiB, or a byte range; log-uniform inside it. */
export type SizeProfile = 'small' | 'large' | { minBytes: number; maxBytes: number };

export interface GenerateChannelOptions {
  outDir: string;
  /** Packages in each listed platform subdir. */
  packages: number;
  /** Platform subdirs; default `['linux-64']`. `noarch` is always written. */
  subdirs?: readonly string[];
  /** Packages in `noarch` unless it is listed in `subdirs`; default a quarter of `packages`. */
  noarchPackages?: number;
  sizes?: SizeProfile;
  seed?: number;
  /** Share of `.conda` files (the rest are `.tar.bz2`); default 0.5. */
  condaFraction?: number;
  /** Consecutive packages sharing a name (default 6: 3 versions × 2 builds, as on real channels). */
  packagesPerName?: number;
  /**
   * false: write only repodata.json (for parse benchmarks with 500 k records). The records then
   * carry sizes and hashes of bodies that were never written.
   */
  writePackages?: boolean;
}

export interface GeneratedSubdir {
  subdir: string;
  packages: number;
  bytes: number;
}

export interface GeneratedChannel {
  outDir: string;
  subdirs: GeneratedSubdir[];
  packages: number;
  bytes: number;
}

interface PackageSpec {
  filename: string;
  isConda: boolean;
  size: number;
  record: {
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
  };
}

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';
const NAME_PREFIXES = ['', 'lib', 'py', 'r-'] as const;
const LICENSES = ['MIT', 'BSD-3-Clause', 'Apache-2.0', 'GPL-3.0-or-later', 'LGPL-2.1-or-later', 'MPL-2.0'];
/** Consecutive packages sharing a name by default: 3 versions × 2 builds, as on real channels. */
const PACKAGES_PER_NAME = 6;
const WRITE_BATCH = 32;
const BODY_CHUNK_BYTES = 1024 * 1024;
const ZEROS = Buffer.alloc(BODY_CHUNK_BYTES);

/** 32-bit FNV-1a, to turn (seed, subdir, index) into a PRNG seed. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, good enough for picking sizes and names. Returns [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pronounceable name, unique per index (consonant-vowel syllables are a bijective numbering). */
function packageName(nameIndex: number): string {
  const syllableCount = CONSONANTS.length * VOWELS.length;
  const syllables: string[] = [];
  let rest = nameIndex;
  do {
    const digit = rest % syllableCount;
    syllables.push(`${CONSONANTS[Math.floor(digit / VOWELS.length)]}${VOWELS[digit % VOWELS.length]}`);
    rest = Math.floor(rest / syllableCount);
  } while (rest > 0 || syllables.length < 2);
  return `${NAME_PREFIXES[nameIndex % NAME_PREFIXES.length]}${syllables.reverse().join('')}`;
}

function sizeRange(profile: SizeProfile): { minBytes: number; maxBytes: number } {
  if (profile === 'small') return { minBytes: 1024, maxBytes: 16 * 1024 };
  if (profile === 'large') return { minBytes: 1024 * 1024, maxBytes: 16 * 1024 * 1024 };
  if (!(profile.minBytes >= 0 && profile.maxBytes >= profile.minBytes)) {
    throw new Error(
      `size range ${profile.minBytes}-${profile.maxBytes} is not valid: expected 0 <= MIN <= MAX`,
    );
  }
  return profile;
}

function hex(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += Math.floor(random() * 16).toString(16);
  return out;
}

function packageSpec(
  options: {
    seed: number;
    subdir: string;
    condaFraction: number;
    packagesPerName: number;
    sizes: { minBytes: number; maxBytes: number };
  },
  index: number,
): PackageSpec {
  const { seed, subdir } = options;
  const nameIndex = Math.floor(index / options.packagesPerName);
  const withinName = index % options.packagesPerName;
  const nameRandom = prng(hash32(`${seed}:${subdir}:name:${nameIndex}`));
  const random = prng(hash32(`${seed}:${subdir}:package:${index}`));
  const name = packageName(nameIndex);
  const major = Math.floor(nameRandom() * 5);
  const minor = Math.floor(nameRandom() * 20) + Math.floor(withinName / 2);
  const version = `${major}.${minor}.${Math.floor(nameRandom() * 10)}`;
  const buildNumber = withinName % 2;
  const isNoarch = subdir === 'noarch';
  const build = isNoarch
    ? `pyh${hex(random, 7)}_${buildNumber}`
    : random() < 0.3
      ? `py312h${hex(random, 7)}_${buildNumber}`
      : `h${hex(random, 7)}_${buildNumber}`;
  const isConda = random() < options.condaFraction;
  const { minBytes, maxBytes } = options.sizes;
  const size = Math.round(minBytes * (maxBytes / Math.max(minBytes, 1)) ** random());
  const depends = [isNoarch ? 'python >=3.9' : 'libgcc >=13'];
  const dependencyCount = nameIndex === 0 ? 0 : Math.floor(random() * 4);
  for (let i = 0; i < dependencyCount; i += 1) {
    const dependency = packageName(Math.floor(random() * nameIndex));
    if (!depends.some((spec) => spec.startsWith(`${dependency} `))) {
      depends.push(`${dependency} >=${Math.floor(random() * 3)}.${Math.floor(random() * 10)}`);
    }
  }
  const filename = `${name}-${version}-${build}.${isConda ? 'conda' : 'tar.bz2'}`;
  return {
    filename,
    isConda,
    size,
    record: {
      build,
      build_number: buildNumber,
      depends,
      license: LICENSES[Math.floor(random() * LICENSES.length)] ?? 'MIT',
      md5: '',
      name,
      ...(isNoarch ? { noarch: 'python' } : {}),
      sha256: '',
      size,
      subdir,
      timestamp:
        1_600_000_000_000 + nameIndex * 3_600_000 + withinName * 60_000 + Math.floor(random() * 60_000),
      version,
    },
  };
}

/** Writes `size` keystream bytes (AES-128-CTR of zeros: deterministic and fast) and hashes them. */
async function writeBody(
  filePath: string,
  size: number,
  key: Buffer,
  iv: Buffer,
): Promise<{ sha256: string; md5: string }> {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const file = await open(filePath, 'w');
  try {
    for (let written = 0; written < size; written += BODY_CHUNK_BYTES) {
      const bytes = cipher.update(ZEROS.subarray(0, Math.min(BODY_CHUNK_BYTES, size - written)));
      sha256.update(bytes);
      md5.update(bytes);
      await file.write(bytes);
    }
  } finally {
    await file.close();
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

async function writeText(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

async function generateSubdir(
  options: Required<Omit<GenerateChannelOptions, 'subdirs' | 'noarchPackages' | 'sizes'>> & {
    sizes: { minBytes: number; maxBytes: number };
  },
  subdir: string,
  count: number,
): Promise<GeneratedSubdir> {
  const dir = path.join(options.outDir, subdir);
  await mkdir(dir, { recursive: true });
  const key = createHash('sha256').update(`generate-channel:${options.seed}`).digest().subarray(0, 16);
  const specOptions = {
    seed: options.seed,
    subdir,
    condaFraction: options.condaFraction,
    packagesPerName: options.packagesPerName,
    sizes: options.sizes,
  };
  const repodata = createWriteStream(path.join(dir, 'repodata.json'));
  const finished = new Promise<void>((resolve, reject) => {
    repodata.on('finish', resolve);
    repodata.on('error', reject);
  });
  let bytes = 0;
  await writeText(repodata, `{"info":{"subdir":${JSON.stringify(subdir)}},`);
  // Two passes over the same deterministic specs: `.tar.bz2` records, then `.conda` records.
  for (const [section, wantConda] of [
    ['packages', false],
    ['packages.conda', true],
  ] as const) {
    await writeText(repodata, `${section === 'packages' ? '' : ','}${JSON.stringify(section)}:{`);
    let first = true;
    for (let start = 0; start < count; start += WRITE_BATCH) {
      const batch: PackageSpec[] = [];
      for (let index = start; index < Math.min(count, start + WRITE_BATCH); index += 1) {
        const spec = packageSpec(specOptions, index);
        if (spec.isConda === wantConda) batch.push(spec);
      }
      await Promise.all(
        batch.map(async (spec) => {
          const identity = `${options.seed}:${subdir}/${spec.filename}`;
          const digests = options.writePackages
            ? await writeBody(
                path.join(dir, spec.filename),
                spec.size,
                key,
                createHash('md5').update(identity).digest(),
              )
            : {
                sha256: createHash('sha256').update(identity).digest('hex'),
                md5: createHash('md5').update(identity).digest('hex'),
              };
          spec.record.sha256 = digests.sha256;
          spec.record.md5 = digests.md5;
        }),
      );
      let text = '';
      for (const spec of batch) {
        text += `${first ? '' : ','}${JSON.stringify(spec.filename)}:${JSON.stringify(spec.record)}`;
        first = false;
        bytes += spec.size;
      }
      await writeText(repodata, text);
    }
    await writeText(repodata, '}');
  }
  repodata.end(',"removed":[],"repodata_version":1}\n');
  await finished;
  return { subdir, packages: count, bytes };
}

/** Writes the channel into `outDir` (created if missing; existing files are overwritten). */
export async function generateChannel(options: GenerateChannelOptions): Promise<GeneratedChannel> {
  if (!Number.isInteger(options.packages) || options.packages < 0) {
    throw new Error(`packages ${options.packages} is not valid: expected an integer >= 0`);
  }
  const condaFraction = options.condaFraction ?? 0.5;
  if (!(condaFraction >= 0 && condaFraction <= 1)) {
    throw new Error(`condaFraction ${condaFraction} is not valid: expected a number from 0 to 1`);
  }
  const packagesPerName = options.packagesPerName ?? PACKAGES_PER_NAME;
  if (!Number.isInteger(packagesPerName) || packagesPerName < 1) {
    throw new Error(`packagesPerName ${packagesPerName} is not valid: expected an integer >= 1`);
  }
  const platformSubdirs = options.subdirs ?? ['linux-64'];
  const resolved = {
    outDir: options.outDir,
    packages: options.packages,
    seed: options.seed ?? 1,
    condaFraction,
    packagesPerName,
    writePackages: options.writePackages ?? true,
    sizes: sizeRange(options.sizes ?? 'small'),
  };
  const counts = new Map<string, number>();
  for (const subdir of platformSubdirs) counts.set(subdir, options.packages);
  if (!counts.has('noarch')) counts.set('noarch', options.noarchPackages ?? Math.ceil(options.packages / 4));
  const subdirs: GeneratedSubdir[] = [];
  for (const [subdir, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    subdirs.push(await generateSubdir(resolved, subdir, count));
  }
  return {
    outDir: options.outDir,
    subdirs,
    packages: subdirs.reduce((sum, entry) => sum + entry.packages, 0),
    bytes: subdirs.reduce((sum, entry) => sum + entry.bytes, 0),
  };
}

function parseSize(text: string): SizeProfile {
  if (text === 'small' || text === 'large') return text;
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (match === null)
    throw new Error(`--size ${text} is not valid: expected small, large or MIN-MAX (bytes)`);
  return { minBytes: Number(match[1]), maxBytes: Number(match[2]) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      packages: { type: 'string', default: '1000' },
      subdirs: { type: 'string', default: 'linux-64' },
      'noarch-packages': { type: 'string' },
      size: { type: 'string', default: 'small' },
      seed: { type: 'string', default: '1' },
      'conda-fraction': { type: 'string', default: '0.5' },
      'packages-per-name': { type: 'string', default: String(PACKAGES_PER_NAME) },
      'metadata-only': { type: 'boolean', default: false },
    },
  });
  if (values.out === undefined) throw new Error('--out DIR is required');
  const started = performance.now();
  const result = await generateChannel({
    outDir: values.out,
    packages: Number(values.packages),
    subdirs: values.subdirs.split(',').filter((subdir) => subdir !== ''),
    ...(values['noarch-packages'] === undefined ? {} : { noarchPackages: Number(values['noarch-packages']) }),
    sizes: parseSize(values.size),
    seed: Number(values.seed),
    condaFraction: Number(values['conda-fraction']),
    packagesPerName: Number(values['packages-per-name']),
    writePackages: !values['metadata-only'],
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ ...result, seconds: Number(seconds.toFixed(2)) }, null, 2)}\n`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
