import type { ObjectStore } from '@condasync/storage';
import { KNOWN_SUBDIRS } from '../config/vocabulary.ts';
import { readStateJson, writeStateJson } from './state-file.ts';

/**
 * What channeldata.json is made from (every subdir's repodata.json and run_exports.json) and the
 * channeldata.json it was made into, as ETags: when none changed since the last channel step, that
 * step would write the same bytes, so a no-op re-run leaves it out. A run that died between its
 * subdirs and channeldata left other ETags behind, so the next run does the step.
 */
export type ChannelInputs = Record<string, string | null>;

const stateKey = (channelPrefix: string): string => `.condasync/state/${channelPrefix}channel-inputs.json`;

/** The ETags (null: absent) of channeldata.json and of what it is built from, by key. */
export async function headChannelInputs(
  store: ObjectStore,
  channelPrefix: string,
  subdirs: readonly string[],
): Promise<ChannelInputs> {
  const names = [...new Set([...KNOWN_SUBDIRS, ...subdirs])]
    .sort()
    .flatMap((subdir) => [`${subdir}/repodata.json`, `${subdir}/run_exports.json`]);
  names.push('channeldata.json');
  const heads = await Promise.all(names.map((name) => store.head(`${channelPrefix}${name}`)));
  return Object.fromEntries(names.map((name, i) => [name, heads[i]?.etag ?? null]));
}

export async function readChannelInputs(
  store: ObjectStore,
  channelPrefix: string,
): Promise<ChannelInputs | null> {
  const state = await readStateJson(store, stateKey(channelPrefix));
  return state !== null && typeof state === 'object' ? (state as ChannelInputs) : null;
}

export const sameChannelInputs = (a: ChannelInputs, b: ChannelInputs): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

export function writeChannelInputs(
  store: ObjectStore,
  channelPrefix: string,
  inputs: ChannelInputs,
): Promise<void> {
  return writeStateJson(store, stateKey(channelPrefix), inputs);
}
