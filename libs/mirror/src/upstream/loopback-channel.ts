import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoopbackChannel {
  /** `http://127.0.0.1:<port>/`, the folder's root. */
  url: string;
  close(): Promise<void>;
}

function answer(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, headers).end();
}

/**
 * Serves a local channel folder (a `file://` upstream) read-only on a random loopback port, for
 * rattler's solver: it fetches repodata itself from inside WebAssembly and speaks only http(s).
 * GET and HEAD of regular files under the folder; nothing outside it, nothing else.
 */
export async function serveChannelFolder(fileUrl: string): Promise<LoopbackChannel> {
  const root = resolve(fileURLToPath(fileUrl));
  const server = createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, { allow: 'GET, HEAD' });
      return;
    }
    let path: string;
    try {
      path = resolve(root, `.${decodeURIComponent(new URL(request.url ?? '/', 'http://loopback').pathname)}`);
    } catch {
      answer(response, 400);
      return;
    }
    if (!path.startsWith(root + sep)) {
      answer(response, 404);
      return;
    }
    stat(path).then(
      (info) => {
        if (!info.isFile()) return answer(response, 404);
        response.writeHead(200, {
          'content-length': String(info.size),
          'content-type': 'application/octet-stream',
        });
        if (request.method === 'HEAD') return response.end();
        createReadStream(path)
          .on('error', (error) => response.destroy(error))
          .pipe(response);
      },
      () => answer(response, 404),
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
