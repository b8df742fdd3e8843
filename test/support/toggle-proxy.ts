// A TCP proxy in front of an emulator that a test can take down and bring back, so outages
// reach the handlers as real connection errors through the real SDK.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ToggleProxy {
  endpoint: string;
  /** Refuse new connections and cut open ones. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startToggleProxy(target: string): Promise<ToggleProxy> {
  const { hostname, port } = new URL(target);
  let isDown = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) return client.destroy();
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
