import type { ObjectStore } from './object-store.ts';

/**
 * A prefix nothing needs to exist under. A listing, unlike a HEAD, fails on a missing bucket (S3
 * answers a HEAD for a missing bucket with the same bodiless 404 as for a missing key), and
 * serving needs s3:ListBucket anyway: without it S3 answers 403, not 404, for absent files.
 */
const PROBE_PREFIX = '.condasync/readyz-probe';

/** Resolves when the store answers a listing; rejects with the store's error otherwise. */
export async function probeStore(store: ObjectStore): Promise<void> {
  const listing = store.list(PROBE_PREFIX);
  try {
    await listing.next();
  } finally {
    await listing.return(undefined);
  }
}
