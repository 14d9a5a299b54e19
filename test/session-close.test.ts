// How a session's connection ends (src/bgp/session/transport-conn.ts closeGracefully): the last
// message and a FIN reach the peer, never a RST, even when the peer's data is still unread. Linux
// answers close() with unread data by a RST, which peers report as a reset instead of the
// NOTIFICATION (FRR did, for connections routed refused while Idle).

import test from 'ava';
import net from 'node:net';
import { closeGracefully } from '../src/bgp/session/transport-conn.js';

interface Outcome {
  received: string;
  error?: string;
}

/**
 * A client sends bytes the server never reads (its socket is paused from the start), then the
 * server ends the connection with `close`. The client answers the end of the stream with a last
 * write and its own FIN (half-open allowed), as a BGP speaker may still be sending: after a FIN
 * that write is fine; after a RST it fails (Node reports the RST itself as the end of the stream).
 */
async function closeWithUnreadData(close: (s: net.Socket) => void): Promise<Outcome> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    const sock = await accepted;
    return await new Promise<Outcome>((resolve) => {
      let received = '';
      client.on('data', (d: Buffer) => (received += d.toString()));
      client.on('end', () => client.end('KEEPALIVE'));
      client.on('error', (e: NodeJS.ErrnoException) => resolve({ received, error: e.code ?? e.message }));
      client.on('close', () => resolve({ received }));
      // Once the kernel has the bytes (loopback: in the server's receive queue), the server closes.
      client.write(Buffer.alloc(4096, 1), () => close(sock));
    });
  } finally {
    server.close();
  }
}

test('closeGracefully: the last message and a FIN reach the peer, no reset, with unread data', async (t) => {
  const out = await closeWithUnreadData((s) => closeGracefully(s, Buffer.from('NOTIFICATION')));
  t.deepEqual(out, { received: 'NOTIFICATION' });
});

test('the kernel behaviour it avoids: destroy() with unread data resets the connection', async (t) => {
  const out = await closeWithUnreadData((s) => {
    s.write('NOTIFICATION');
    s.destroy();
  });
  t.is(out.received, 'NOTIFICATION');
  t.regex(out.error ?? 'no error', /^(ECONNRESET|EPIPE)$/);
});
