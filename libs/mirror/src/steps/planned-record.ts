import { canonicalRecordJson, type PackageRecordJson } from '@condasync/conda';
import type { ChannelSource } from '../upstream/channel-source.ts';

/**
 * A record chosen for publication and the channel it comes from, held compactly: its canonical
 * JSON (the exact bytes repodata.json will list, what staging writes) and the few fields planning
 * and downloading read. A conda-forge subdir holds 300–500 k of these through a plan; as parsed
 * objects they took ~3× the heap and most of the garbage collector's time (BENCHMARKS.md,
 * "Planning"). `record` parses the JSON again on each access: read the fields here when you can.
 */
export class PlannedRecord {
  /** `canonicalRecordJson` of the upstream record. */
  readonly json: string;
  readonly size: number;
  readonly sha256: string | undefined;
  readonly md5: string | undefined;
  readonly channel: ChannelSource;
  /** Position of `channel` in the config's `channels` (workers look the URL up by it). */
  readonly channelIndex: number;

  constructor(record: PackageRecordJson, channel: ChannelSource, channelIndex: number) {
    this.json = canonicalRecordJson(record);
    this.size = record.size;
    this.sha256 = record.sha256;
    this.md5 = record.md5;
    this.channel = channel;
    this.channelIndex = channelIndex;
  }

  /** The record as repodata.json will list it (`fn`, `url`, ... dropped; `depends` always a list). */
  get record(): PackageRecordJson {
    return JSON.parse(this.json) as PackageRecordJson;
  }
}
