// repodata.json.bz2 benchmark: our pure-TypeScript bzip2 encoder on a synthetic conda-forge-sized
// repodata.json, against the bzip2 binary (libbz2) when one is installed.
//
//   node bench/bzip2.bench.ts [--records 500000] [--level 9] [--keep]
//
// The input is generated in a child process, so the peak RSS reported is the encoder's alone; it
// streams, so that stays flat however big the file. The output is checked with `bzip2 -t` (or our
// own decoder when there is no binary).
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compressBzip2, decompressBzip2 } from '@condasync/codecs';
import { argument, close, cpuSeconds, peakRssMiB, print, write } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const records = Number(argument('records', '500000'));
  const level = Number(argument('level', '9'));
  const dir = mkdtempSync(path.join(tmpdir(), 'condasync-bzip2-bench-'));
  const file = path.join(dir, 'repodata.json');
  try {
    const generate = spawnSync(process.execPath, [
      import.meta.filename,
      '--generate',
      file,
      '--records',
      String(records),
    ]);
    if (generate.status !== 0) throw new Error(`generating the input failed:\n${generate.stderr}`);
    const inputBytes = statSync(file).size;
    print(`synthetic repodata.json: ${records} records, ${(inputBytes / MiB).toFixed(1)} MiB`);
    const baselineRss = peakRssMiB();

    const outFile = `${file}.bz2`;
    const out = createWriteStream(outFile);
    const wallStart = performance.now();
    const cpuStart = cpuSeconds();
    for await (const chunk of compressBzip2(createReadStream(file, { highWaterMark: MiB }), { level })) {
      await write(out, chunk);
    }
    await close(out);
    const seconds = (performance.now() - wallStart) / 1000;
    const cpu = cpuSeconds() - cpuStart;
    const outBytes = statSync(outFile).size;
    print(
      `condasync  level ${level}: ${seconds.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU, ` +
        `${(inputBytes / MiB / seconds).toFixed(1)} MiB/s, ${(outBytes / MiB).toFixed(2)} MiB ` +
        `(${((100 * outBytes) / inputBytes).toFixed(2)} %), peak RSS ${peakRssMiB().toFixed(0)} MiB ` +
        `(${baselineRss.toFixed(0)} before)`,
    );

    const binary = spawnSync('bzip2', ['--version'], { encoding: 'utf8' });
    if (binary.error === undefined) {
      const refStart = performance.now();
      const reference = spawnSync('sh', ['-c', `bzip2 -${level} -c "${file}" > "${file}.ref.bz2"`]);
      const refSeconds = (performance.now() - refStart) / 1000;
      if (reference.status !== 0) throw new Error(`bzip2 failed: ${reference.stderr}`);
      const refBytes = statSync(`${file}.ref.bz2`).size;
      print(
        `bzip2 -${level} (libbz2): ${refSeconds.toFixed(1)} s wall, ${(inputBytes / MiB / refSeconds).toFixed(1)} MiB/s, ` +
          `${(refBytes / MiB).toFixed(2)} MiB (${((100 * refBytes) / inputBytes).toFixed(2)} %)`,
      );
      const check = spawnSync('bzip2', ['-t', outFile], { encoding: 'utf8' });
      if (check.status !== 0) throw new Error(`bzip2 -t refused our output: ${check.stderr}`);
      print('bzip2 -t: our output is valid');
    } else {
      let restored = 0;
      for await (const chunk of decompressBzip2(createReadStream(outFile))) restored += chunk.length;
      if (restored !== inputBytes) throw new Error(`decoded ${restored} bytes, expected ${inputBytes}`);
      print('no bzip2 binary; our decoder restored every byte');
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

const generateInto = argument('generate', '');
if (generateInto === '') await main();
else
  await writeSyntheticRepodata(generateInto, {
    count: Number(argument('records', '500000')),
    subdir: 'linux-64',
  });
