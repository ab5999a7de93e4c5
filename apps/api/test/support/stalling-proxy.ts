// A TCP proxy in front of a real server that can be told to stall: it then drops the connections
// it carries and holds new ones open without forwarding a byte, as a paused or stopped S3 server
// behind a load balancer does. Fault injection for the "storage paused" tests, no mocks.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { S3ObjectStore } from '@condasync/storage';
import { testS3Credentials, testS3Endpoint } from '../../../../test/support/services.ts';
import { createTestBucket } from './test-app.ts';

export interface StallingProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(target: string): Promise<StallingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let stalled = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server: Server = createServer((client) => {
    track(client);
    if (stalled) return; // accepted, never answered
    const upstream = connect(Number(port), hostname);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    stall() {
      stalled = true;
      // Pooled keep-alive connections would bypass the stall: cut them, so the client reconnects.
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      stalled = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A proxy in front of the test S3 server and a store of a fresh bucket reached through it, with no
 * SDK retries (a stalled read should meet the serving deadline once).
 */
export async function stallableS3Store(): Promise<{ proxy: StallingProxy; store: S3ObjectStore }> {
  const proxy = await startStallingProxy(testS3Endpoint());
  const store = new S3ObjectStore({
    bucket: await createTestBucket(),
    prefix: 'mirror',
    endpoint: proxy.url,
    region: testS3Credentials.region,
    credentials: {
      accessKeyId: testS3Credentials.accessKeyId,
      secretAccessKey: testS3Credentials.secretAccessKey,
    },
    forcePathStyle: true,
    maxAttempts: 1,
  });
  return { proxy, store };
}
