// Side by side with conda-mirror (PyPI `conda-mirror` 0.10.0, the open Python mirror tool): both
// copy the same generated channel (linux-64 + noarch) from the same loopback upstream into a fresh
// folder on the same disk, each as its own command (start-up included), one after the other.
//
//   .venv/bin/pip install conda-mirror==0.10.0
//   node bench/peers.bench.ts [--conda-mirror .venv/bin/conda-mirror] [--small 2000] [--large 20]
//     [--rounds 2] [--dest /tmp] [--keep]
//
// Variants, in an order that rotates each round:
//   conda-mirror    one run per subdir (it mirrors one platform per invocation); it downloads one
//                   file at a time and checks md5 (the generated files are not real archives, so
//                   its tarfile check is never reached: md5 success skips it)
//   condasync       `condasync sync -f` with the default 16 downloads in flight
//   condasync -c1   the same with `concurrency: 1`, one download at a time like conda-mirror
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generate, startUpstream } from './support/bench-channel.ts';
import { median } from './support/bench-utils.ts';
import { BENCH_SUBDIRS, condaMirrorVersion, runCondaMirror, timedCommand } from './support/conda-mirror.ts';

const MiB = 1024 * 1024;
const CLI = path.join(import.meta.dirname, '../apps/cli/bin/condasync.js');

const VARIANTS = ['conda-mirror', 'condasync', 'condasync -c1'] as const;
type Variant = (typeof VARIANTS)[number];

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Package files that ended up in the mirror, per subdir. */
function countPackages(mirror: string): number {
  let count = 0;
  for (const subdir of BENCH_SUBDIRS) {
    const names = readdirSync(path.join(mirror, subdir));
    count += names.filter((name) => name.endsWith('.conda') || name.endsWith('.tar.bz2')).length;
  }
  return count;
}

function runVariant(variant: Variant, channelUrl: string, scratch: string, condaMirror: string): number {
  const mirror = path.join(scratch, 'mirror');
  if (variant === 'conda-mirror') {
    const temp = path.join(scratch, 'tmp');
    execFileSync('mkdir', ['-p', temp]);
    return runCondaMirror(condaMirror, channelUrl, mirror, temp);
  }
  const config = path.join(scratch, 'sync.yaml');
  writeFileSync(
    config,
    [
      `channels: [${channelUrl}]`,
      'platforms: [linux-64]',
      `mirror_dir: ${mirror}`,
      `concurrency: ${variant === 'condasync' ? 16 : 1}`,
      '',
    ].join('\n'),
  );
  return timedCommand(process.execPath, [CLI, 'sync', '-f', config]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'conda-mirror': {
        type: 'string',
        default: path.join(import.meta.dirname, '../.venv/bin/conda-mirror'),
      },
      small: { type: 'string', default: '2000' },
      large: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '2' },
      dest: { type: 'string', default: tmpdir() },
      keep: { type: 'boolean', default: false },
    },
  });
  const condaMirror = values['conda-mirror'];
  print(`conda-mirror: ${condaMirrorVersion(condaMirror)}; node ${process.version}`);

  const root = mkdtempSync(path.join(values.dest, 'condasync-peers-channel-'));
  const channels: Array<{ name: string; packages: number }> = [];
  const small = Number(values.small);
  const large = Number(values.large);
  if (small > 0) {
    generate(path.join(root, 'small'), small, 'small');
    channels.push({ name: 'small', packages: small });
  }
  if (large > 0) {
    generate(path.join(root, 'large'), large, `${20 * MiB}-${50 * MiB}`);
    channels.push({ name: 'large', packages: large });
  }
  const upstream = await startUpstream(root);
  try {
    const rounds = Number(values.rounds);
    const seconds = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const channel of channels) {
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
        for (const variant of order) {
          const scratch = mkdtempSync(path.join(values.dest, 'condasync-peers-run-'));
          try {
            const wall = runVariant(variant, `${upstream.url}/${channel.name}`, scratch, condaMirror);
            const copied = countPackages(path.join(scratch, 'mirror'));
            if (copied !== channel.packages) {
              throw new Error(`${variant} copied ${copied} of ${channel.packages} packages`);
            }
            print(`round ${round + 1} ${channel.name.padEnd(5)} ${variant.padEnd(13)} ${wall.toFixed(2)} s`);
            const key = `${channel.name}\t${variant}`;
            seconds.set(key, [...(seconds.get(key) ?? []), wall]);
          } finally {
            execFileSync('sync');
            rmSync(scratch, { recursive: true, force: true });
          }
        }
      }
    }
    print();
    print('channel  variant        median wall   packages/s   vs conda-mirror');
    for (const channel of channels) {
      const baseline = median(seconds.get(`${channel.name}\tconda-mirror`)!);
      for (const variant of VARIANTS) {
        const wall = median(seconds.get(`${channel.name}\t${variant}`)!);
        print(
          `${channel.name.padEnd(8)} ${variant.padEnd(14)} ${wall.toFixed(2).padStart(8)} s ${(channel.packages / wall).toFixed(0).padStart(11)} ${`${(baseline / wall).toFixed(1)}× faster`.padStart(17)}`,
        );
      }
    }
  } finally {
    upstream.child.kill();
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
}

await main();
