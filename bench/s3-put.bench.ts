// Puts per second of small objects into S3 servers through condasync's S3 store (S3ObjectStore, as
// the workers use it): moto (the tests' server) against SeaweedFS (`weed mini`), alternating round
// by round in one run. moto's rate is why the distributed figures use SeaweedFS.
//
//   node bench/s3-put.bench.ts [--servers moto,seaweedfs] [--objects 1000] [--kib 50]
//     [--concurrency 16] [--rounds 3] [--dest DIR (the servers' data)]
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { S3ObjectStore } from '@condasync/storage';
import { print } from './support/bench-utils.ts';
import { processCpuSeconds } from './support/process-cpu.ts';
import { type BenchS3Server, type S3ServerKind, startS3Server } from './support/s3-servers.ts';

const KINDS: readonly S3ServerKind[] = ['moto', 'seaweedfs'];

async function putAll(
  server: BenchS3Server,
  prefix: string,
  bodies: readonly Buffer[],
  concurrency: number,
): Promise<number> {
  const env = server.env(prefix);
  const store = new S3ObjectStore({
    bucket: server.bucket,
    prefix,
    endpoint: server.endpoint,
    region: env.CONDASYNC_S3_REGION!,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    forcePathStyle: true,
  });
  const hashes = bodies.map((body) => createHash('sha256').update(body).digest('hex'));
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const i = next++;
          await store.put(`linux-64/object-${i}.conda`, bodies[i]!, {
            size: bodies[i]!.length,
            sha256: hashes[i]!,
          });
        }
      }),
    );
    return (performance.now() - started) / 1000;
  } finally {
    await store.close();
  }
}

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: KINDS.join(',') },
    objects: { type: 'string', default: '1000' },
    kib: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    dest: { type: 'string', default: tmpdir() },
  },
});
const kinds = values.servers.split(',') as S3ServerKind[];
for (const kind of kinds) {
  if (!KINDS.includes(kind))
    throw new Error(`--servers lists unknown "${kind}" (known: ${KINDS.join(', ')})`);
}
const objects = Number(values.objects);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
for (const [flag, value] of [
  ['objects', objects],
  ['kib', Number(values.kib)],
  ['concurrency', concurrency],
  ['rounds', rounds],
] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} must be a positive integer`);
}
const bodies = Array.from({ length: objects }, () => randomBytes(Number(values.kib) * 1024));
const servers: BenchS3Server[] = [];
try {
  for (const kind of kinds) servers.push(await startS3Server(kind, values.dest));
  print(`${objects} puts of ${values.kib} KiB, ${concurrency} in flight`);
  const rates = new Map<S3ServerKind, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      const cpuBefore = processCpuSeconds(server.pid) ?? 0;
      const seconds = await putAll(server, `round-${round}`, bodies, concurrency);
      const serverCpu = (processCpuSeconds(server.pid) ?? 0) - cpuBefore;
      const rate = objects / seconds;
      rates.set(server.kind, [...(rates.get(server.kind) ?? []), rate]);
      print(
        `round ${round + 1}: ${server.kind} ${rate.toFixed(0)} puts/s (${seconds.toFixed(2)} s), ` +
          `server CPU ${((serverCpu / objects) * 1000).toFixed(2)} ms per put`,
      );
    }
  }
  for (const [kind, list] of rates) {
    const sorted = [...list].sort((a, b) => a - b);
    print(`${kind}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} puts/s`);
  }
} finally {
  for (const server of servers) await server.stop();
}
