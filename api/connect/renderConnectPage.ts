import type { FastifyReply } from 'fastify';
import {
  closeButton,
  escapeHtml,
  type HtmlPage,
  openerScript,
  scriptLiteral,
  sendHtmlPage,
} from '../pages/htmlPage.js';

export interface ConnectPageView {
  connectId: string;
  providerName: string;
  /** the host of the provider's authorization page, where the button leads */
  providerOrigin: string;
  /** the account's name, or its id */
  accountLabel: string;
  connectionName: string | null;
  scopes: { scope: string; description: string | null }[];
  /** milliseconds until the link expires, as the server counts them */
  timeLeftMs: number;
}

/** The connect page: who asks, for what, for how long, and one button on to the provider. */
export function sendConnectPage(reply: FastifyReply, view: ConnectPageView, origins: string[]): FastifyReply {
  return sendHtmlPage(reply, 200, connectPage(view, origins));
}

export function connectPage(view: ConnectPageView, origins: string[]): HtmlPage {
  const provider = escapeHtml(view.providerName);
  const account = escapeHtml(view.accountLabel);
  const scopes = view.scopes.length
    ? `<p>${account} will be able to:</p>\n<ul class="scopes">${view.scopes.map(scopeItem).join('')}</ul>`
    : `<p>${account} asks for the access ${provider} grants by default.</p>`;
  const connection = view.connectionName
    ? `<p class="fine">Connection: <strong>${escapeHtml(view.connectionName)}</strong></p>`
    : '';
  const body = `<div class="card">
<p class="eyebrow"><strong>${account}</strong> asks to connect</p>
<h1>Connect your ${provider} account</h1>
${scopes}
${connection}
<p class="time" id="time">This link expires in <strong id="time-left">${formatTimeLeft(view.timeLeftMs)}</strong>.</p>
<form id="continue" method="post" action="/connect/${encodeURIComponent(view.connectId)}">
<button type="submit" class="button" autofocus>Continue to ${provider}</button>
</form>
<p id="expired" role="alert" hidden>This link has expired. Nothing was sent to ${provider}. Go back to the app you came from and start again.</p>
${closeButton('Cancel')}
<p class="fine">You will sign in at <strong>${escapeHtml(new URL(view.providerOrigin).host)}</strong> and confirm there. You can withdraw this access at ${provider} at any time.</p>
</div>`;
  return {
    title: `Connect ${view.providerName}`,
    body,
    script: countdownScript(view.timeLeftMs) + openerScript(null, origins),
    formTargets: [view.providerOrigin],
  };
}

export type LinkProblem = 'unknown' | 'expired' | 'used' | 'opener_not_allowed';

const PROBLEMS: Record<LinkProblem, { status: number; title: string; text: string; error?: string }> = {
  unknown: {
    status: 404,
    title: 'This link does not work',
    text: 'It may be incomplete or mistyped. Go back to the app you came from and start the connection again.',
  },
  expired: {
    status: 410,
    error: 'expired',
    title: 'This link has expired',
    text: 'Nothing was sent anywhere. Go back to the app you came from and start the connection again.',
  },
  used: {
    status: 410,
    error: 'already_used',
    title: 'This link was already used',
    text: 'Each link connects once. If the connection did not work, go back to the app you came from and start again.',
  },
  opener_not_allowed: {
    status: 403,
    title: 'This window was opened by a site the account does not allow',
    text: "The app's developers need to add its origin to the account's allowed redirect origins (PUT /api/account).",
  },
};

/** An unknown, expired or used link, said before the user goes anywhere; a popup's opener learns why. */
export function sendLinkProblem(reply: FastifyReply, problem: LinkProblem, origins: string[]): FastifyReply {
  const { status, title, text, error } = PROBLEMS[problem];
  const message = error ? { error, error_description: title } : null;
  return sendHtmlPage(reply, status, {
    title,
    body: `<div class="card">
<p><span class="mark bad" aria-hidden="true">!</span></p>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
${closeButton()}
</div>`,
    script: openerScript(message, origins),
  });
}

function scopeItem({ scope, description }: { scope: string; description: string | null }): string {
  if (!description) return `<li><code>${escapeHtml(scope)}</code></li>`;
  return `<li>${escapeHtml(description)}<code>${escapeHtml(scope)}</code></li>`;
}

/** "1 hour 5 minutes", "9 minutes 58 seconds", "42 seconds" (the page's script counts down the same way). */
export function formatTimeLeft(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h > 0) return m > 0 ? `${unit(h, 'hour')} ${unit(m, 'minute')}` : unit(h, 'hour');
  if (m > 0) return `${unit(m, 'minute')} ${unit(s, 'second')}`;
  return unit(s, 'second');
}

/** Counts the time left down from the server's figure (not the browser's clock); at zero the button goes. */
function countdownScript(timeLeftMs: number): string {
  return `(function(){var end=Date.now()+${scriptLiteral(timeLeftMs)};
var left=document.getElementById("time-left"),form=document.getElementById("continue"),time=document.getElementById("time"),gone=document.getElementById("expired");
function unit(n,w){return n+" "+w+(n===1?"":"s");}
function fmt(ms){var t=Math.max(0,Math.floor(ms/1000)),h=Math.floor(t/3600),m=Math.floor(t%3600/60),s=t%60;
if(h>0)return m>0?unit(h,"hour")+" "+unit(m,"minute"):unit(h,"hour");if(m>0)return unit(m,"minute")+" "+unit(s,"second");return unit(s,"second");}
function tick(){var ms=end-Date.now();if(ms<=0){clearInterval(timer);form.hidden=true;time.hidden=true;gone.hidden=false;return;}left.textContent=fmt(ms);}
var timer=setInterval(tick,1000);})();`;
}
