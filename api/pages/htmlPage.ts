import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { PAGE_CSS } from './pageCss.js';

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A value as a JavaScript literal that is safe inside an inline <script> (no `</script>`, no line separators). */
export const scriptLiteral = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export interface HtmlPage {
  title: string;
  /** the page's content, already escaped */
  body: string;
  /** an inline script run with the page's nonce (inline handlers and other scripts are refused) */
  script?: string;
  /** origins a form of the page may end up at after the server's redirect, besides this one */
  formTargets?: string[];
}

/**
 * Sends one of connectflow's own pages under a strict Content-Security-Policy: nothing loads from
 * anywhere (no third-party assets, not even our own), only this response's nonce'd style and script
 * run, forms go only here (and where named), and no other site may frame the page.
 * No Cross-Origin-Opener-Policy: the connect popup's result page must keep its `window.opener`.
 */
export function sendHtmlPage(reply: FastifyReply, statusCode: number, page: HtmlPage): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    ["form-action 'self'", ...(page.formTargets ?? [])].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const script = page.script ? `\n<script nonce="${nonce}">${page.script}</script>` : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(page.title)}</title>
<style nonce="${nonce}">${PAGE_CSS}</style>
</head><body><main>
${page.body}
</main>${script}
</body></html>`;
  return reply
    .code(statusCode)
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

/**
 * A script that tells the window that opened this page (connect.js) how the flow ended: posted once
 * per origin on the account's allow-list, so the browser delivers it only if the opener is one of
 * them. In a popup it also trades the "Back to the app" link (the app already knows) for "Close this window".
 */
export function openerScript(message: Record<string, unknown> | null, origins: string[]): string {
  const post = message
    ? `var m=${scriptLiteral({ type: 'connectflow:result', ...message })},o=${scriptLiteral(origins)};` +
      'for(var i=0;i<o.length;i++){try{w.postMessage(m,o[i]);}catch(e){}}'
    : '';
  return (
    '(function(){var w=window.opener;if(!w)return;' +
    post +
    'var b=document.getElementById("back");if(b)b.hidden=true;' +
    'var c=document.getElementById("close");if(c){c.hidden=false;c.addEventListener("click",function(){window.close();});}' +
    '})();'
  );
}

/** The button that closes the popup ("Close this window", or "Cancel"), shown by `openerScript` only in a popup. */
export const closeButton = (label = 'Close this window') =>
  `<button type="button" id="close" class="button secondary" hidden>${label}</button>`;
