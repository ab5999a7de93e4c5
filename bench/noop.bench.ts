// No-op re-runs: once a generated channel is mirrored, how long does running the mirror tool again
// take when nothing changed upstream? Each tool re-runs on its own copy, as its own command
// (start-up included), alternating round by round, against the same loopback upstream.
//
//   .venv/bin/pip install conda-mirror==0.10.0
//   node bench/noop.bench.ts [--packages 5000] [--corrupt 20] [--rounds 5]
//     [--before /work/main/apps/cli/bin/condasync.js] [--conda-mirror .venv/bin/conda-mirror] [--dest /tmp]
//
// Channels (linux-64 + noarch, 80/20 as on conda-forge):
//   clean     every file as its repodata says
//   corrupt   the same, with --corrupt files served with other bytes of the same size: every tool
//             fails them (wrong sha256 / md5). Not 404s: conda-mirror 0.10.0 aborts its whole run
//             at the first download that fails, so its mirror would stay incomplete.
// Variants:
//   condasync          `condasync sync -f` of this checkout
//   condasync before   the same command of another checkout (--before), e.g. main, as the "before"
//   conda-mirror       one run per subdir (it mirrors one platform per invocation), with its default
//                      validation of the target (md5 of every stored file) and --max-retries 3
// Also `condasync --version` of each checkout: the start-up floor of every re-run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generate, startUpstream } from './support/bench-channel.ts';
import { median } from './support/bench-utils.ts';
import { BENCH_SUBDIRS, condaMirrorVersion, runCondaMirror, timedCommand } from './support/conda-mirror.ts';

const CLI = path.join(import.meta.dirname, '../apps/cli/bin/condasync.js');

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Serves other bytes of the same size for `count` package files, spread over the channel. */
function corruptFiles(channelDir: string, count: number): string[] {
  const files = BENCH_SUBDIRS.flatMap((subdir) =>
    readdirSync(path.join(channelDir, subdir))
      .filter((name) => name.endsWith('.conda') || name.endsWith('.tar.bz2'))
      .map((name) => path.join(subdir, name)),
  ).sort();
  const step = Math.max(1, Math.floor(files.length / count));
  const chosen = files.filter((_, i) => i % step === 0).slice(0, count);
  for (const file of chosen) {
    const full = path.join(channelDir, file);
    const bytes = readFileSync(full);
    for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(full, bytes);
  }
  return chosen;
}

function condasyncConfig(scratch: string, name: string, channelUrl: string): string {
  const config = path.join(scratch, `${name}.yaml`);
  writeFileSync(
    config,
    `channels: [${channelUrl}]\nplatforms: [linux-64]\nmirror_dir: ${path.join(scratch, name)}\n`,
  );
  return config;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      packages: { type: 'string', default: '5000' },
      corrupt: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '5' },
      before: { type: 'string' },
      'conda-mirror': {
        type: 'string',
        default: path.join(import.meta.dirname, '../.venv/bin/conda-mirror'),
      },
      dest: { type: 'string', default: tmpdir() },
    },
  });
  const condaMirror = values['conda-mirror'];
  const packages = Number(values.packages);
  const corrupt = Number(values.corrupt);
  const rounds = Number(values.rounds);
  print(`conda-mirror ${condaMirrorVersion(condaMirror)}; node ${process.version}`);
  print(`${packages} packages; ${corrupt} corrupt in the corrupt channel; ${rounds} rounds`);

  const root = mkdtempSync(path.join(values.dest, 'condasync-noop-'));
  const upstreamRoot = path.join(root, 'upstream');
  generate(path.join(upstreamRoot, 'clean'), packages, 'small');
  execFileSync('cp', ['-r', path.join(upstreamRoot, 'clean'), path.join(upstreamRoot, 'corrupt')]);
  corruptFiles(path.join(upstreamRoot, 'corrupt'), corrupt);
  const upstream = await startUpstream(upstreamRoot);
  const mirrors = path.join(root, 'mirrors');
  const temp = path.join(root, 'tmp');
  mkdirSync(temp, { recursive: true });
  mkdirSync(mirrors, { recursive: true });
  const channels = ['clean', 'corrupt'] as const;
  const clis: Array<[string, string]> = [['condasync', CLI]];
  if (values.before !== undefined) clis.push(['condasync before', values.before]);
  type Variant = { name: string; run: () => number };
  const variants = new Map<string, Variant[]>();
  try {
    for (const channel of channels) {
      const url = `${upstream.url}/${channel}`;
      // Each checkout's first run copies; condasync exits 1 when packages failed.
      const list: Variant[] = [];
      for (const [name, cli] of clis) {
        const config = condasyncConfig(mirrors, `${name.replace(' ', '-')}-${channel}`, url);
        const first = timedCommand(process.execPath, [cli, 'sync', '-f', config], [0, 1]);
        print(`first copy ${channel.padEnd(7)} ${name.padEnd(16)} ${first.toFixed(1)} s`);
        list.push({ name, run: () => timedCommand(process.execPath, [cli, 'sync', '-f', config], [0, 1]) });
      }
      const target = path.join(mirrors, `conda-mirror-${channel}`);
      const first = runCondaMirror(condaMirror, url, target, temp, ['--max-retries', '3']);
      print(`first copy ${channel.padEnd(7)} ${'conda-mirror'.padEnd(16)} ${first.toFixed(1)} s`);
      list.push({
        name: 'conda-mirror',
        run: () => runCondaMirror(condaMirror, url, target, temp, ['--max-retries', '3']),
      });
      variants.set(channel, list);
    }
    execFileSync('sync');

    const load = loadavg()[0]!.toFixed(2);
    const seconds = new Map<string, number[]>();
    const add = (key: string, value: number): void => {
      seconds.set(key, [...(seconds.get(key) ?? []), value]);
    };
    for (let round = 0; round < rounds; round++) {
      for (const [name, cli] of clis)
        add(`--version\t${name}`, timedCommand(process.execPath, [cli, '--version']));
      for (const channel of channels) {
        const list = variants.get(channel)!;
        const order = list.map((_, i) => list[(i + round) % list.length]!);
        for (const variant of order) {
          const wall = variant.run();
          print(`round ${round + 1} ${channel.padEnd(7)} ${variant.name.padEnd(16)} ${wall.toFixed(2)} s`);
          add(`${channel}\t${variant.name}`, wall);
        }
      }
    }
    print();
    print(`load average (1 min): ${load} before the rounds, ${loadavg()[0]!.toFixed(2)} after`);
    print('what              variant           median s   vs conda-mirror');
    for (const [name] of clis) {
      print(
        `${'--version'.padEnd(17)} ${name.padEnd(16)} ${median(seconds.get(`--version\t${name}`)!)
          .toFixed(2)
          .padStart(9)}`,
      );
    }
    for (const channel of channels) {
      const baseline = median(seconds.get(`${channel}\tconda-mirror`)!);
      for (const variant of variants.get(channel)!) {
        const wall = median(seconds.get(`${channel}\t${variant.name}`)!);
        print(
          `${`no-op ${channel}`.padEnd(17)} ${variant.name.padEnd(16)} ${wall.toFixed(2).padStart(9)} ${`${(baseline / wall).toFixed(1)}×`.padStart(12)}`,
        );
      }
    }
  } finally {
    upstream.child.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
