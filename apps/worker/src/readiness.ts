import { settlesWithin } from '@condasync/queue';
import { type ObjectStore, probeStore } from '@condasync/storage';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** How often the store is probed; also at most how often its absence is logged. */
export const READINESS_INTERVAL_MS = 5000;
/** A probe that takes longer than this counts as a failure (a hung endpoint must not hang /readyz). */
const PROBE_TIMEOUT_MS = 3000;

export interface ReadinessState {
  ready: boolean;
  checks: { redis: { ok: boolean }; store: { ok: boolean; problem?: string } };
}

/**
 * The worker's readiness, refreshed in the background so that /readyz answers at once: Redis is
 * connected and the store answers a listing. While the store does not answer, one line per
 * interval says so (Redis has its own line, from RedisOutageReporter).
 */
export class WorkerReadiness {
  readonly #redis: Redis;
  readonly #store: ObjectStore;
  readonly #logger: Logger;
  #storeOk = false;
  #storeProblem: string | undefined = 'not probed yet';
  #timer: NodeJS.Timeout | undefined;
  #wasDown = false;

  constructor(redis: Redis, store: ObjectStore, logger: Logger) {
    this.#redis = redis;
    this.#store = store;
    this.#logger = logger;
  }

  start(): void {
    const tick = async (): Promise<void> => {
      await this.#probeStore();
      if (this.#timer !== undefined) this.#timer = setTimeout(tick, READINESS_INTERVAL_MS).unref();
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  state(): ReadinessState {
    const redisOk = this.#redis.status === 'ready';
    const store = this.#storeOk ? { ok: true } : { ok: false, problem: this.#storeProblem ?? 'unknown' };
    return { ready: redisOk && this.#storeOk, checks: { redis: { ok: redisOk }, store } };
  }

  async #probeStore(): Promise<void> {
    let problem: string | undefined;
    const probe = probeStore(this.#store).catch((error: unknown) => {
      problem = (error as Error).message.split('\n')[0];
    });
    if (!(await settlesWithin(probe, PROBE_TIMEOUT_MS))) problem = `no answer within ${PROBE_TIMEOUT_MS} ms`;
    this.#storeOk = problem === undefined;
    this.#storeProblem = problem;
    if (problem !== undefined) {
      this.#wasDown = true;
      this.#logger.warn(
        `the object store ${this.#store.description} is unreachable (${problem}); retrying every ${READINESS_INTERVAL_MS / 1000} s`,
      );
    } else if (this.#wasDown) {
      this.#wasDown = false;
      this.#logger.info(`the object store ${this.#store.description} answers again`);
    }
  }
}
