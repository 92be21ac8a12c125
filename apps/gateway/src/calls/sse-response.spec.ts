import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Response } from 'express';
import { clientGone } from './sse-response';

describe('clientGone', () => {
  let server: Server;
  let answers: Array<{ req: IncomingMessage; res: ServerResponse }>;

  beforeEach(async () => {
    answers = [];
    server = createServer((req, res) => answers.push({ req, res }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  /** Sends a request and waits until the server holds it; `hangUp` drops the connection. */
  async function open(): Promise<{ res: ServerResponse; hangUp(): Promise<void>; answered: Promise<void> }> {
    const client = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', agent: false });
    client.on('error', () => undefined);
    const answered = new Promise<void>((resolve) => client.on('response', (r) => r.resume().on('end', resolve)));
    client.end('{}');
    while (answers.length === 0) await new Promise((r) => setTimeout(r, 5));
    const { res } = answers[0];
    return {
      res,
      answered,
      hangUp: async () => {
        client.destroy();
        await once(res, 'close');
      },
    };
  }

  it('aborts when the client leaves before its answer', async () => {
    const { res, hangUp } = await open();
    const signal = clientGone(res as unknown as Response)();
    expect(signal.aborted).toBe(false);
    await hangUp();
    expect(signal.aborted).toBe(true);
  });

  it('is aborted from the start when first asked for after the client left', async () => {
    const { res, hangUp } = await open();
    const hungUp = clientGone(res as unknown as Response);
    await hangUp();
    expect(hungUp().aborted).toBe(true);
  });

  it('stays unaborted once the answer was written in full, and is one signal however often asked for', async () => {
    const { res, answered } = await open();
    const hungUp = clientGone(res as unknown as Response);
    const signal = hungUp();
    const closed = once(res, 'close');
    res.end('ok');
    await Promise.all([answered, closed]);
    expect(hungUp()).toBe(signal);
    expect(signal.aborted).toBe(false);
  });
});
