// A TCP proxy in front of a real server that can be told to stall: it then drops the connections
// it carries and holds new ones open without forwarding a byte, as a paused or stopped S3 server
// behind a load balancer does. Fault injection for the "storage paused" tests, no mocks.
import { connect, createServer, type Server, type Socket } from 'node:net';

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
