import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedMessage {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** what the receiver answered */
  status: number;
}

/**
 * A webhook receiver on a loopback port that records every request and answers `status` (200 unless
 * the test says otherwise), as an account's backend would.
 */
export async function startWebhookReceiver() {
  const received: ReceivedMessage[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        id: String(req.headers['webhook-id']),
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** the messages answered with a 2xx, in the order they arrived */
    accepted: () => received.filter((m) => m.status < 300),
    answer: (next: number) => {
      status = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The headers a Standard Webhooks verifier takes. */
export const signatureHeaders = (m: ReceivedMessage): Record<string, string> => ({
  'webhook-id': String(m.headers['webhook-id']),
  'webhook-timestamp': String(m.headers['webhook-timestamp']),
  'webhook-signature': String(m.headers['webhook-signature']),
});
