import { errorResponse } from '../shared-schemas.ts';

const segment = (description: string) => ({ type: 'string', maxLength: 255, description }) as const;

export const installerFileSchema = {
  tags: ['downloads'],
  summary: 'A mirrored installer (fetch_installers)',
  description:
    'An installer of a folder in the sync config’s dir_names, stored after its sha256 matched ' +
    'upstream’s index page. ETag, Last-Modified, conditional requests and single byte ranges, as for packages.',
  params: {
    type: 'object',
    required: ['dir', 'file'],
    properties: {
      dir: segment('Installer folder, e.g. archive or miniconda.'),
      file: segment('File name, e.g. Miniconda3-latest-Linux-x86_64.sh.'),
    },
  },
  response: {
    200: { description: 'The file. HEAD answers the same headers without a body.' },
    206: { description: 'The requested byte range, with Content-Range.' },
    304: { description: 'Not modified.' },
    401: errorResponse('CONDASYNC_CHANNEL_TOKENS is set and the request has no valid token.'),
    404: errorResponse('No such installer.'),
    416: errorResponse('The range starts beyond the end of the file.'),
    503: errorResponse('The object store did not answer in time; retry after Retry-After.'),
  },
} as const;

export const installerFolderSchema = {
  tags: ['downloads'],
  summary: 'The HTML listing of a mirrored installer folder',
  description: 'A table of Filename, Size, Last Modified and SHA256, like upstream’s index page.',
  params: {
    type: 'object',
    required: ['dir'],
    properties: { dir: segment('Installer folder, e.g. archive or miniconda.') },
  },
  response: {
    200: { description: 'The listing (text/html).' },
    304: { description: 'Not modified.' },
    401: errorResponse('CONDASYNC_CHANNEL_TOKENS is set and the request has no valid token.'),
    404: errorResponse('No installer folder of that name was mirrored.'),
  },
} as const;
