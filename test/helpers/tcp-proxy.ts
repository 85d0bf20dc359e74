// A TCP proxy on 127.0.0.1 in front of one of the stack's servers, whose mood a test sets:
//   pass    forwards both ways (the server as it is)
//   hang    accepts connections and never answers (and stalls the connections already open)
//   refuse  resets every connection at once (a server that is down)
// Used to take the object store or the catalog away from one connector while the other tests'
// servers stay up.
import net from 'node:net';

export type ProxyMood = 'pass' | 'hang' | 'refuse';

export interface TcpProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  set(mood: ProxyMood): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mood: ProxyMood = 'pass';
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mood === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mood === 'hang') return; // read nothing, answer nothing
    const upstream = net.connect(target.port, target.host);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    set(next) {
      mood = next;
      if (next === 'refuse') for (const s of open) s.resetAndDestroy();
      if (next === 'hang') for (const s of open) s.pause();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
