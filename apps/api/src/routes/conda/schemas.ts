import { errorResponse } from '../shared-schemas.ts';

const segment = (description: string) => ({ type: 'string', maxLength: 255, description }) as const;

const channelFileResponses = {
  200: { description: 'The file. HEAD answers the same headers without a body.' },
  206: { description: 'The requested byte range (`Range: bytes=a-b`), with Content-Range.' },
  304: { description: 'Not modified (If-None-Match / If-Modified-Since).' },
  401: errorResponse('CONDASYNC_CHANNEL_TOKENS is set and the request has no valid token.'),
  404: errorResponse('No such file (also for names that cannot be channel files).'),
  416: errorResponse('The range starts beyond the end of the file.'),
  503: errorResponse('The object store did not answer in time (or is unreachable); retry after Retry-After.'),
} as const;

const description =
  'Served like a static conda channel: ETag, Last-Modified, Cache-Control per kind of file, ' +
  'conditional requests, single byte ranges, gzip for .json when asked. Token URLs ' +
  '`/t/<token>/conda/…` and `/conda/t/<token>/…` reach the same files.';

export const channelLevelFileSchema = {
  tags: ['channel'],
  summary: 'A channel-level file, e.g. channeldata.json',
  description,
  params: {
    type: 'object',
    required: ['channel', 'file'],
    properties: { channel: segment('Channel name (a sync’s dest_channel).'), file: segment('File name.') },
  },
  response: channelFileResponses,
} as const;

export const subdirFileSchema = {
  tags: ['channel'],
  summary: 'A file of a subdir: repodata, shard index, shard or package',
  description,
  params: {
    type: 'object',
    required: ['channel', 'subdir', 'file'],
    properties: {
      channel: segment('Channel name (a sync’s dest_channel).'),
      subdir: segment('Subdir, e.g. linux-64 or noarch.'),
      file: segment('File name, e.g. repodata.json.zst or numpy-2.0.0-py312h0_0.conda.'),
    },
  },
  response: channelFileResponses,
} as const;

export const shardFileSchema = {
  tags: ['channel'],
  summary: 'A repodata shard (CEP 16) under <subdir>/shards/',
  description,
  params: {
    type: 'object',
    required: ['channel', 'subdir', 'file'],
    properties: {
      channel: segment('Channel name.'),
      subdir: segment('Subdir.'),
      file: segment('`<sha256>.msgpack.zst`'),
    },
  },
  response: channelFileResponses,
} as const;
