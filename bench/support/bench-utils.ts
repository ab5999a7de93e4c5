// Small helpers shared by the benchmarks: output, argument parsing, resource figures, a seeded PRNG
// and backpressure-aware stream writes.
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes one line to stdout (benchmarks report on stdout; the linter forbids console). */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The value after `--<name>` on the command line, or `fallback` when the flag or its value is absent. */
export function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

/** Peak resident set size of this process so far, in MiB (maxRSS is reported in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** CPU seconds (user + system) of this process: steadier than wall time on a shared machine. */
export function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Deterministic pseudo-random numbers in [0, 1) (mulberry32), so every run benchmarks the same
 * data.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes a chunk, waiting for `drain` when the stream's buffer is full. */
export async function write(stream: Writable, chunk: Uint8Array | string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** Ends the stream and waits until everything is flushed. */
export async function close(stream: Writable): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
