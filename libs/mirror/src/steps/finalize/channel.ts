import { type PackageRecordJson, parseRepodata } from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import { KNOWN_SUBDIRS } from '../../config/vocabulary.ts';
import type { Logger } from '../../logger.ts';
import { ChannelDataBuilder } from '../../outputs/channeldata.ts';
import { type PublishContext, putIfChanged, sha256Of } from './publish.ts';

export interface FinalizeChannelInput {
  /**
   * Subdirs to look at besides the known conda subdirs (e.g. an imported folder's odd names). Only
   * subdirs with a published repodata.json count.
   */
  subdirs?: readonly string[];
}

export interface FinalizeChannelContext {
  store: ObjectStore;
  channelPrefix: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface FinalizeChannelResult {
  /** Subdirs with a published repodata.json, sorted: the `subdirs` of channeldata.json. */
  subdirs: string[];
  /** Package names in channeldata.json. */
  packages: number;
  /** False when the published channeldata.json already had these bytes. */
  changed: boolean;
  sha256: string;
  bytes: number;
}

/**
 * Writes `<channel>/channeldata.json` from what the channel publishes now: every subdir's
 * repodata.json (and run_exports.json, where there is one), read back from the store and streamed.
 * Call it once, after the last subdir of a sync is published, so it never describes a mix of old
 * and new subdirs. The bytes are deterministic, and an unchanged document is not rewritten.
 */
export async function finalizeChannel(
  input: FinalizeChannelInput,
  ctx: FinalizeChannelContext,
): Promise<FinalizeChannelResult> {
  const publish: PublishContext = { store: ctx.store, signal: ctx.signal };
  const candidates = [...new Set<string>([...KNOWN_SUBDIRS, ...(input.subdirs ?? [])])].sort();
  const present = await Promise.all(
    candidates.map(async (subdir) =>
      (await ctx.store.head(repodataKey(ctx, subdir))) === null ? null : subdir,
    ),
  );
  const subdirs = present.filter((subdir): subdir is string => subdir !== null);

  const builder = new ChannelDataBuilder();
  for (const subdir of subdirs) {
    const runExports = await readRunExportsEntries(ctx, subdir);
    await builder.addSubdir(subdir, publishedRecords(ctx, subdir), runExports);
  }
  // A few hundred bytes per package name: small enough to hold (conda-forge: ~30 k names).
  const document = Buffer.from(builder.toJson());
  const changed = await putIfChanged(
    `${ctx.channelPrefix}channeldata.json`,
    document,
    'application/json',
    publish,
  );
  ctx.logger.info(
    { subdirs: subdirs.length, changed },
    changed ? 'published channeldata' : 'channeldata unchanged',
  );
  return {
    subdirs,
    packages: builder.packageCount,
    changed,
    sha256: sha256Of(document),
    bytes: document.byteLength,
  };
}

function repodataKey(ctx: FinalizeChannelContext, subdir: string): string {
  return `${ctx.channelPrefix}${subdir}/repodata.json`;
}

async function* publishedRecords(
  ctx: FinalizeChannelContext,
  subdir: string,
): AsyncGenerator<[string, PackageRecordJson]> {
  const object = await ctx.store.get(repodataKey(ctx, subdir), ctx.signal ? { signal: ctx.signal } : {});
  // Deleted between the HEAD and now: the subdir counts as empty.
  if (object === null) return;
  // We wrote these records ourselves; one we could not read back must not block the document.
  const entries = parseRepodata(object.body, { subdir, onInvalidRecord: () => undefined });
  for await (const entry of entries) yield [entry.filename, entry.record];
}

/** The entries of the subdir's published run_exports.json, by filename; `{}` without one. */
async function readRunExportsEntries(
  ctx: FinalizeChannelContext,
  subdir: string,
): Promise<Record<string, unknown>> {
  const object = await ctx.store.get(`${ctx.channelPrefix}${subdir}/run_exports.json`);
  if (object === null) return {};
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    return Object.assign(
      Object.create(null),
      parsed['packages'] as Record<string, unknown>,
      parsed['packages.conda'] as Record<string, unknown>,
    );
  } catch (error) {
    ctx.logger.warn(
      { subdir, err: (error as Error).message },
      'published run_exports.json unreadable; ignored',
    );
    return {};
  }
}
