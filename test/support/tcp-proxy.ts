import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy in front of a real Postgres or Redis, so a test can make the dependency
 * unreachable for one app (`cut()`) and bring it back (`restore()`) without touching the
 * server that other tests share.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private open = true;
  port = 0;

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** A proxy in front of the server a `postgresql://` or `redis://` URL names. */
  static to(serverUrl: string): TcpProxy {
    const url = new URL(serverUrl);
    return new TcpProxy(url.hostname, Number(url.port) || (url.protocol.startsWith('redis') ? 6379 : 5432));
  }

  async start(): Promise<number> {
    await this.listen(0);
    return this.port;
  }

  private async listen(port: number): Promise<void> {
    this.server = createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  /** Drops every connection and stops listening, so new ones are refused (`ECONNREFUSED`) as by a stopped server. */
  async refuse(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    this.server = undefined;
  }

  /** Accepts connections again (on the same port after `refuse()`). */
  async restore(): Promise<void> {
    this.open = true;
    if (!this.server) await this.listen(this.port);
  }

  async stop(): Promise<void> {
    await this.refuse();
  }
}
