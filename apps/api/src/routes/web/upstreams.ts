import { redactUrl } from '@condasync/mirror';
import type { SyncRegistry } from '@condasync/queue';

const LOOKED_AT = 200;

/**
 * The upstream channel URLs (tokens redacted) of the newest sync that published `channel`, or
 * null when the registry has none (or Redis is down: browsing must not depend on it). A sync
 * merging several upstreams takes each file from the first that has it.
 */
export async function channelUpstreams(registry: SyncRegistry, channel: string): Promise<string[] | null> {
  try {
    const { items } = await registry.list({ limit: LOOKED_AT });
    const last = items.find(
      (view) => view.destChannel === channel && (view.status === 'succeeded' || view.status === 'partial'),
    );
    if (last === undefined) return null;
    const config = (await registry.config(last.id)) as { channels?: unknown } | null;
    const channels = Array.isArray(config?.channels) ? config.channels : [];
    return channels.filter((url): url is string => typeof url === 'string').map(redactUrl);
  } catch {
    return null;
  }
}
