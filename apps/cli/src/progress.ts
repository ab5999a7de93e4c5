import type { Logger, SyncProgress } from '@condasync/mirror';
import { formatBytes } from './format.ts';

const BAR_WIDTH = 28;

/**
 * Progress reporting: a redrawn bar on a terminal, a plain log line every `intervalMs` otherwise
 * (CI logs and files must not fill up with carriage returns).
 */
export class ProgressReporter {
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  readonly #logger: () => Logger | undefined;
  readonly #intervalMs: number;
  #latest: SyncProgress | null = null;
  #lastLog = 0;
  #drawn = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: {
    stream: NodeJS.WriteStream;
    logger: () => Logger | undefined;
    intervalMs?: number;
  }) {
    this.#stream = options.stream;
    this.#tty = options.stream.isTTY === true;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? 10_000;
  }

  update(progress: SyncProgress): void {
    const phaseChanged = this.#latest?.phase !== progress.phase;
    this.#latest = progress;
    if (this.#tty) {
      this.#timer ??= setInterval(() => this.#draw(), 200);
      return;
    }
    const now = Date.now();
    if (phaseChanged || now - this.#lastLog >= this.#intervalMs) {
      this.#lastLog = now;
      this.#logger()?.info({ ...progress }, `progress: ${describe(progress)}`);
    }
  }

  /** Clears the bar so a log line can be printed in its place. */
  clear(): void {
    if (this.#tty && this.#drawn) {
      this.#stream.write('\r\x1b[K');
      this.#drawn = false;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.clear();
  }

  #draw(): void {
    const progress = this.#latest;
    if (progress === null) return;
    const ratio = progress.packagesTotal === 0 ? 0 : progress.packagesDone / progress.packagesTotal;
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    this.#stream.write(`\r\x1b[K${progress.phase.padEnd(11)} ${bar} ${describe(progress)}`);
    this.#drawn = true;
  }
}

function describe(p: SyncProgress): string {
  const failed = p.packagesFailed > 0 ? `, ${p.packagesFailed} failed` : '';
  return `${p.packagesDone}/${p.packagesTotal} packages, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}${failed}`;
}
