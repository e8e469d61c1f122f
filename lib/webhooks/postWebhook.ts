import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { assertPublicUrl } from '../net/assertPublicUrl.js';
import { checkedLookup, type AddressPolicy } from '../net/publicAddress.js';

/** What a receiver answered: its status (null when there was no answer) and how long the attempt took. */
export interface PostOutcome {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/** At most this much of a receiver's answer is read (and none of it kept). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs a body to a receiver: the URL checked by the address policy and connected through the checked
 * lookup (one DNS answer for both), no redirects followed, one deadline for connect, send and answer.
 */
export async function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { policy: AddressPolicy; timeoutMs: number },
): Promise<PostOutcome> {
  const started = performance.now();
  const outcome = (statusCode: number | null, error: string | null): PostOutcome => ({
    statusCode,
    durationMs: Math.round(performance.now() - started),
    error,
  });
  try {
    await assertPublicUrl(url, options.policy);
  } catch (err) {
    return outcome(null, (err as Error).message);
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostOutcome>((resolve) => {
    const req = send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'connectflow-webhooks', ...headers },
      lookup: checkedLookup(options.policy),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    req.on('response', (res: IncomingMessage) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      res.on('close', () => resolve(outcome(res.statusCode ?? null, null)));
    });
    req.on('error', (err) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      resolve(outcome(null, timedOut ? `no answer within ${options.timeoutMs} ms` : err.message));
    });
    req.end(body);
  });
}
