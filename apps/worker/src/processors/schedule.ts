import {
  type PlanJobData,
  runScheduleTick,
  type ScheduleJobData,
  type ScheduleStore,
  SyncLifecycle,
} from '@condasync/queue';
import type { Job, Queue } from 'bullmq';
import type { WorkerServices } from '../services.ts';

/**
 * One firing of a schedule (a job added by its BullMQ job scheduler): submits the schedule's sync
 * through the lifecycle, as POST /v1/syncs does, or records the tick as skipped while the
 * channel's previous sync runs. Returns what it did, which BullMQ keeps as the job's result.
 */
export function scheduleProcessor(
  services: WorkerServices,
  schedules: ScheduleStore,
  planQueue: Queue<PlanJobData>,
) {
  const lifecycle = new SyncLifecycle(services.registry, { plan: planQueue });
  return async (job: Job<ScheduleJobData>): Promise<string> => {
    const { scheduleId } = job.data;
    const tick = await runScheduleTick(scheduleId, { store: schedules, lifecycle });
    const logger = services.logger.child({ component: 'schedule', schedule: scheduleId });
    if (tick === null) return 'schedule deleted';
    if (tick.outcome === 'started') logger.info({ sync: tick.syncId }, 'scheduled sync submitted');
    else logger.info({ reason: tick.reason }, 'scheduled sync skipped');
    return tick.outcome === 'started' ? `started ${tick.syncId}` : `skipped: ${tick.reason}`;
  };
}
