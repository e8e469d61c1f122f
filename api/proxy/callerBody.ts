import { Readable } from 'node:stream';
import { HttpError } from '../errors/HttpError.js';

/**
 * The body a proxied request carries, as bytes (never parsed). Small bodies are held in memory, so
 * the call can be sent again (after a token refresh or a 429); a body of declared length above
 * REPLAYABLE_BYTES streams through once. A body without a declared length is read whole (up to the
 * limit) before anything is sent, so an oversized one is refused before the provider sees a byte.
 */
export type CallerBody =
  { kind: 'none' } | { kind: 'bytes'; bytes: Buffer } | { kind: 'stream'; stream: Readable; length: number };

export const REPLAYABLE_BYTES = 1024 * 1024;

export const isReplayable = (body: CallerBody) => body.kind !== 'stream';

export const tooLarge = (maxBytes: number) =>
  new HttpError(
    413,
    'payload_too_large',
    `the request body is over the proxy's limit of ${maxBytes} bytes (CONNECTFLOW_PROXY_MAX_BODY_BYTES)`,
    { max_bytes: maxBytes },
  );

export async function readCallerBody(
  stream: Readable | undefined,
  declaredLength: string | undefined,
  maxBytes: number,
): Promise<CallerBody> {
  const length = declaredLength === undefined ? undefined : Number(declaredLength);
  if (length !== undefined && length > maxBytes) throw tooLarge(maxBytes);
  if (!stream || length === 0) return { kind: 'none' };
  if (length !== undefined && length > REPLAYABLE_BYTES) {
    // Node's HTTP parser reads exactly the declared length: no more can arrive than was checked.
    return { kind: 'stream', stream, length };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: Buffer.concat(chunks) };
}
