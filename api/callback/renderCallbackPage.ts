import type { FastifyReply, FastifyRequest } from 'fastify';
import { closeButton, escapeHtml, openerScript, sendHtmlPage } from '../pages/htmlPage.js';
import { explainFailure } from './explainFailure.js';

/** What the result page of a flow begun on the connect page knows besides the outcome. */
export interface ConnectHandBack {
  providerName: string;
  accountLabel: string;
  redirectUrl: string | null;
  /** the account's allowed origins: the only ones the popup's opener is told the outcome at */
  origins: string[];
}

/** The statuses a flow ends with (connected, refused, expired): the ones its opener is told. */
const FINAL_STATUSES = new Set([200, 410, 422]);

/**
 * The page the end user's browser lands on: JSON for clients that ask for it; for a flow begun on
 * the connect page, the outcome in plain words with what to do next; otherwise a small HTML page
 * whose `#result` holds the same JSON.
 */
export function renderCallbackPage(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  result: Record<string, unknown>,
  handBack?: ConnectHandBack,
): FastifyReply {
  const accept = request.headers.accept ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html')) {
    return reply
      .code(statusCode)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(result);
  }
  if (handBack) return sendConnectResult(reply, statusCode, result, handBack);
  const connected = result.connected === true;
  const title = connected ? 'Connected' : 'Connection not completed';
  const text = connected
    ? 'Your account is connected. You can close this window.'
    : String(result.message ?? result.error_description ?? result.error ?? 'The authorization did not complete.');
  return sendHtmlPage(reply, statusCode, {
    title: `${title} · connectflow`,
    body: `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
<pre id="result">${escapeHtml(JSON.stringify(result, null, 2))}</pre>`,
  });
}

/** Where the 302 hand-back goes (and the result page's button back to the app): the redirect_url with the outcome. */
export function handBackUrl(redirectUrl: string, result: Record<string, unknown>): string {
  const target = new URL(redirectUrl);
  if (result.connected === true) {
    target.searchParams.set('connection_id', String(result.connection_id));
    if (typeof result.secret_id === 'string') target.searchParams.set('secret_id', result.secret_id);
  } else {
    target.searchParams.set('error', String(result.error ?? 'failed'));
    if (typeof result.error_description === 'string')
      target.searchParams.set('error_description', result.error_description);
  }
  return target.href;
}

function sendConnectResult(
  reply: FastifyReply,
  statusCode: number,
  result: Record<string, unknown>,
  handBack: ConnectHandBack,
): FastifyReply {
  const final = FINAL_STATUSES.has(statusCode);
  const connected = result.connected === true;
  const error = typeof result.error === 'string' ? result.error : null;
  const description =
    typeof result.error_description === 'string'
      ? result.error_description
      : typeof result.message === 'string'
        ? result.message
        : null;

  let heading: string;
  let text: string;
  let detail = '';
  if (connected) {
    heading = `${handBack.providerName} is connected`;
    text = `${handBack.accountLabel} can now use your ${handBack.providerName} account as you allowed. You can close this window.`;
  } else if (error) {
    ({ title: heading, text } = explainFailure(error, handBack.providerName));
    detail = `<p class="fine">Error <code>${escapeHtml(error)}</code>${description ? `: ${escapeHtml(description)}` : ''}</p>`;
  } else {
    heading = 'Almost done';
    text = description ?? 'The authorization was received and is still being completed.';
  }
  const back =
    final && handBack.redirectUrl
      ? `<a id="back" class="button" href="${escapeHtml(handBackUrl(handBack.redirectUrl, result))}">Back to the app</a>`
      : '';
  const message = final
    ? connected
      ? { connection_id: String(result.connection_id) }
      : { error: error ?? 'failed', error_description: description }
    : null;
  const mark = connected
    ? '<span class="mark ok" aria-hidden="true">✓</span>'
    : error
      ? '<span class="mark bad" aria-hidden="true">✕</span>'
      : '';
  return sendHtmlPage(reply, statusCode, {
    title: heading,
    body: `<div class="card">
${mark ? `<p>${mark}</p>` : ''}
<h1>${escapeHtml(heading)}</h1>
<p>${escapeHtml(text)}</p>
${detail}
${back}
${closeButton()}
<details><summary>Technical details</summary><pre id="result">${escapeHtml(JSON.stringify(result, null, 2))}</pre></details>
</div>`,
    script: openerScript(message, handBack.origins),
  });
}
