import { type FinalizeChannelResult, finalizeChannel } from './finalize/channel.ts';
import { dropStaging } from './staging.ts';
import type { SyncRun } from './sync-run.ts';

/**
 * The last step of a sync, once every subdir is published: channeldata.json from what the channel
 * now publishes (never a mix of old and new subdirs), then, for a staged run, its staging goes.
 */
export async function finishChannelStep(
  run: SyncRun,
  options: { stagedAs?: string } = {},
): Promise<FinalizeChannelResult> {
  const result = await finalizeChannel(
    {},
    {
      store: run.store,
      channelPrefix: run.channelPrefix,
      logger: run.logger,
      ...(run.signal ? { signal: run.signal } : {}),
    },
  );
  if (options.stagedAs !== undefined) await dropStaging(run.store, options.stagedAs);
  return result;
}
