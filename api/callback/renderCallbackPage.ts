import type { FastifyReply, FastifyRequest } from 'fastify';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The page the end user's browser lands on: JSON for clients that ask for it, otherwise a small
 * HTML page whose `#result` holds the same JSON.
 */
export function renderCallbackPage(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  result: Record<string, unknown>,
): FastifyReply {
  const accept = request.headers.accept ?? '';
  reply.code(statusCode).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  if (accept.includes('application/json') && !accept.includes('text/html')) return reply.send(result);
  const connected = result.connected === true;
  const title = connected ? 'Connected' : 'Connection not completed';
  const text = connected
    ? 'Your account is connected. You can close this window.'
    : String(result.message ?? result.error_description ?? result.error ?? 'The authorization did not complete.');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · connectflow</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
<pre id="result">${escapeHtml(JSON.stringify(result, null, 2))}</pre></body></html>`;
  return reply.type('text/html; charset=utf-8').send(html);
}
