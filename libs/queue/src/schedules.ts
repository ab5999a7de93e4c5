import { defaultRepeatStrategy, type JobsOptions, type Queue, type RepeatOptions } from 'bullmq';
import type { ScheduleRecord, ScheduleStore, ScheduleTick, ScheduleTiming } from './schedule-store.ts';
import type { SyncLifecycle } from './sync-lifecycle.ts';
import { TERMINAL_STATUSES } from './sync-view.ts';

/*
 * Periodic syncs. BullMQ's job schedulers (one per schedule id) add a `tick` job to the schedule
 * queue at each firing; the worker's schedule processor runs `runScheduleTick`, which submits the
 * sync through SyncLifecycle exactly as POST /v1/syncs does, unless the channel is still busy.
 */

export const SCHEDULE_QUEUE_NAME = 'condasync-schedule';

export interface ScheduleJobData {
  scheduleId: string;
}

/** Schedule ids name BullMQ schedulers and Redis keys: no colon, nothing to escape. */
export const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A fixed interval shorter than this is a mistake (a sync takes longer than a second to plan). */
export const MIN_EVERY_MS = 1000;

/** A tick that cannot submit is not retried: the next tick is the retry. */
const TICK_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/** What a client asks for; checked by scheduleTimingProblems. */
export interface ScheduleTimingInput {
  cron?: unknown;
  every?: unknown;
  tz?: unknown;
}

/**
 * Every problem with a schedule's timing, each under its field: exactly one of `cron` (a 5- or
 * 6-field cron pattern, as BullMQ reads it) and `every` (milliseconds); `tz` an IANA zone, with
 * `cron` only. Empty when the timing is valid.
 */
export function scheduleTimingProblems(input: ScheduleTimingInput): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const { cron, every, tz } = input;
  if (cron === undefined && every === undefined) {
    problems.push({
      path: 'cron',
      message: 'give a cron pattern (e.g. "0 2 * * *") or `every` in milliseconds',
    });
  }
  if (cron !== undefined && every !== undefined) {
    problems.push({ path: 'every', message: 'give either `cron` or `every`, not both' });
  }
  if (tz !== undefined) {
    if (typeof tz !== 'string' || !isTimeZone(tz)) {
      problems.push({
        path: 'tz',
        message: `${JSON.stringify(tz)} is not an IANA time zone (e.g. "Europe/Paris")`,
      });
    } else if (cron === undefined) {
      problems.push({ path: 'tz', message: 'a time zone applies to `cron` only' });
    }
  }
  if (cron !== undefined) {
    if (typeof cron !== 'string' || cron.trim() === '') {
      problems.push({ path: 'cron', message: 'must be a cron pattern as text, e.g. "0 2 * * *"' });
    } else {
      const fields = cron.trim().split(/\s+/).length;
      const reason =
        fields < 5 || fields > 6
          ? `has ${fields} field${fields === 1 ? '' : 's'}; expected 5 (minute hour day month weekday) or 6 (with seconds first)`
          : cronError(cron, typeof tz === 'string' && isTimeZone(tz) ? tz : undefined);
      if (reason !== null)
        problems.push({ path: 'cron', message: `"${cron}" is not a cron pattern: ${reason}` });
    }
  }
  if (
    every !== undefined &&
    (typeof every !== 'number' || !Number.isInteger(every) || every < MIN_EVERY_MS)
  ) {
    problems.push({
      path: 'every',
      message: `must be an integer number of milliseconds, at least ${MIN_EVERY_MS}; got ${JSON.stringify(every)}`,
    });
  }
  return problems;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why BullMQ would refuse the pattern, or null: the check is BullMQ's own cron reading. */
function cronError(pattern: string, tz: string | undefined): string | null {
  try {
    const next = defaultRepeatStrategy(Date.now(), { pattern, ...(tz === undefined ? {} : { tz }) });
    return next === undefined ? 'it never fires' : null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A validated timing (see scheduleTimingProblems) in the shape BullMQ takes. */
export function toTiming(input: ScheduleTimingInput): ScheduleTiming {
  return {
    cron: typeof input.cron === 'string' ? input.cron.trim() : null,
    every: typeof input.every === 'number' ? input.every : null,
    tz: typeof input.tz === 'string' ? input.tz : null,
  };
}

function repeatOptions(timing: ScheduleTiming): Omit<RepeatOptions, 'key'> {
  if (timing.every !== null) return { every: timing.every };
  return { pattern: timing.cron ?? '', ...(timing.tz === null ? {} : { tz: timing.tz }) };
}

/** A schedule as the API shows it: the record and when BullMQ will fire it next. */
export interface ScheduleView extends ScheduleRecord {
  nextRunAt: string | null;
}

/** Schedules as the API manages them: the record in Redis and its BullMQ job scheduler, together. */
export class Schedules {
  readonly store: ScheduleStore;
  readonly #queue: Queue<ScheduleJobData>;

  constructor(store: ScheduleStore, queue: Queue<ScheduleJobData>) {
    this.store = store;
    this.#queue = queue;
  }

  /** Creates or replaces the schedule `id` and (re)starts its scheduler. */
  async save(input: {
    id: string;
    destChannel: string;
    config: unknown;
    timing: ScheduleTiming;
  }): Promise<ScheduleView> {
    await this.store.save(input);
    await this.#queue.upsertJobScheduler(input.id, repeatOptions(input.timing), {
      name: 'tick',
      data: { scheduleId: input.id },
      opts: TICK_JOB_OPTIONS,
    });
    return (await this.get(input.id)) as ScheduleView;
  }

  async get(id: string): Promise<ScheduleView | null> {
    const record = await this.store.get(id);
    return record === null ? null : this.#view(record);
  }

  async list(): Promise<ScheduleView[]> {
    return Promise.all((await this.store.list()).map((record) => this.#view(record)));
  }

  /** Stops the scheduler and forgets the schedule (a sync it started runs on). False if absent. */
  async remove(id: string): Promise<boolean> {
    const stopped = await this.#queue.removeJobScheduler(id);
    // BullMQ 6 leaves the next tick of an `every` scheduler queued (seen with 6.7); it must not fire.
    for (const job of await this.#queue.getJobs(['delayed', 'waiting', 'prioritized'])) {
      if (job.data.scheduleId === id) await job.remove();
    }
    const removed = await this.store.remove(id);
    return stopped || removed;
  }

  async #view(record: ScheduleRecord): Promise<ScheduleView> {
    const scheduler = await this.#queue.getJobScheduler(record.id);
    const next = scheduler?.next;
    return { ...record, nextRunAt: typeof next === 'number' ? new Date(next).toISOString() : null };
  }
}

/**
 * One firing of a schedule: submits its sync through the lifecycle, or skips when the channel's
 * previous sync (the schedule's own, or any holding the channel) has not ended. Records the tick
 * and returns it; null when the schedule was deleted. A failed submission is recorded and thrown.
 */
export async function runScheduleTick(
  scheduleId: string,
  deps: { store: ScheduleStore; lifecycle: SyncLifecycle },
  now: Date = new Date(),
): Promise<ScheduleTick | null> {
  const { store, lifecycle } = deps;
  const record = await store.get(scheduleId);
  const config = record === null ? null : await store.config(scheduleId);
  if (record === null || config === null) return null;
  const at = now.toISOString();
  const busy = await busyReason(record, lifecycle);
  if (busy !== null) {
    const tick: ScheduleTick = { at, outcome: 'skipped', reason: busy };
    await store.recordTick(scheduleId, tick);
    return tick;
  }
  let syncId: string;
  try {
    syncId = await lifecycle.submit({ destChannel: record.destChannel, config });
  } catch (error) {
    await store
      .recordTick(scheduleId, { at, outcome: 'failed', reason: (error as Error).message })
      .catch(() => {});
    throw error;
  }
  const tick: ScheduleTick = { at, outcome: 'started', syncId };
  await store.recordTick(scheduleId, tick);
  return tick;
}

async function busyReason(record: ScheduleRecord, lifecycle: SyncLifecycle): Promise<string | null> {
  const registry = lifecycle.registry;
  const channel = record.destChannel;
  if (record.lastSyncId !== null) {
    const status = await registry.status(record.lastSyncId);
    if (status !== null && !TERMINAL_STATUSES.has(status)) {
      return `the previous sync ${record.lastSyncId} of channel ${channel} is still ${status}`;
    }
  }
  // Another sync, or a cleanup, of the same channel: the new sync would only wait for it.
  const holder = await registry.channelLockHolder(channel);
  if (holder !== null && holder.status !== null && !TERMINAL_STATUSES.has(holder.status)) {
    return `${holder.kind} ${holder.id} of channel ${channel} is still ${holder.status}`;
  }
  return null;
}
