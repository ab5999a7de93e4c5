import { recordGeneration } from '../generations/record.ts';
import { type FinalizeChannelResult, finalizeChannel } from './finalize/channel.ts';
import { dropStaging } from './staging.ts';
import { graceMsOf, type SyncRun } from './sync-run.ts';

export interface FinishChannelResult extends FinalizeChannelResult {
  /** The channel's metadata generation after this sync (docs/design.md §5); null when it publishes nothing. */
  generation: number | null;
  /** False when the sync published the same metadata as the current generation (none recorded). */
  generationCreated: boolean;
}

/**
 * The last step of a sync, once every subdir is published: channeldata.json from what the channel
 * now publishes (never a mix of old and new subdirs), then the metadata generation, recorded only
 * when the published bytes changed; then, for a staged run, its staging goes.
 */
export async function finishChannelStep(
  run: SyncRun,
  options: { stagedAs?: string } = {},
): Promise<FinishChannelResult> {
  const result = await finalizeChannel(
    {},
    {
      store: run.store,
      channelPrefix: run.channelPrefix,
      logger: run.logger,
      ...(run.signal ? { signal: run.signal } : {}),
    },
  );
  const recorded = await recordGeneration(
    { store: run.store, channelPrefix: run.channelPrefix, logger: run.logger },
    {
      source: options.stagedAs === undefined ? 'local sync' : `sync ${options.stagedAs}`,
      now: (run.now ?? Date.now)(),
      graceMs: graceMsOf(run.config),
      subdirs: result.subdirs,
    },
  );
  if (options.stagedAs !== undefined) await dropStaging(run.store, options.stagedAs);
  return { ...result, generation: recorded.generation?.n ?? null, generationCreated: recorded.created };
}
