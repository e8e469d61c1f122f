import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnectPage } from '../api/connect/openConnectPage.js';
import { startConnectionFlow } from '../api/oauth2/startConnectionFlow.js';
import { authorizationRequestIdOf } from '../lib/store/pullId.js';
import { signInAndConsent } from './support/browser.js';
import { RiveryClient } from './support/RiveryClient.js';
import { keyRing, newAccount, stack, testTiming } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const PHONE = { width: 390, height: 780 };

const clients = useStackClients();
let app: Server;
let appOrigin: string;
let api: RiveryClient;
let accountId: string;

/** The client's own web app: a page that loads connect.js from connectflow, on an origin of its own. */
function startClientApp(): Promise<Server> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Client app</title><script src="${stack.apiUrl}/connect.js"></script>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  app = await startClientApp();
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const account = await newAccount(clients.store, ['connection:read', 'connection:edit', 'account:admin']);
  accountId = account.accountId;
  api = new RiveryClient(stack.apiUrl, account.token);
  const settings = await api.request('PUT', '/api/account', { name: 'Acme Analytics', redirect_origins: [appOrigin] });
  expect(settings.status).toBe(200);
});
afterAll(() => new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve())));

interface Outcome {
  connection_id?: string;
  error?: string;
  error_description?: string;
  /** when the promise settled, by the page's clock */
  at: number;
}

/** The client app's page in a phone-sized browser, with connectflow.connect loaded; CSP reports collected. */
async function openClientApp(): Promise<{ context: BrowserContext; page: Page; cspViolations: string[] }> {
  const context = await clients.browser.newContext({ viewport: PHONE });
  const cspViolations: string[] = [];
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  const page = await context.newPage();
  await page.goto(appOrigin);
  await page.waitForFunction(() => 'connectflow' in window);
  return { context, page, cspViolations };
}

/** Calls connectflow.connect in the page; returns the popup and the promise's outcome. */
async function connectInPopup(page: Page, connectUri: string): Promise<{ popup: Page; outcome: Promise<Outcome> }> {
  const popupOpened = page.waitForEvent('popup');
  const outcome = page.evaluate(
    (uri) =>
      (window as any).connectflow.connect(uri).then(
        (r: { connection_id: string }) => ({ connection_id: r.connection_id, at: Date.now() }),
        (e: { error: string; error_description: string }) => ({
          error: e.error,
          error_description: e.error_description,
          at: Date.now(),
        }),
      ),
    connectUri,
  ) as Promise<Outcome>;
  const popup = await popupOpened;
  await popup.waitForLoadState();
  return { popup, outcome };
}

async function newRequest(body: Record<string, unknown> = {}) {
  const created = await api.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600, ...body });
  expect(created.status).toBe(200);
  return created.body as { pull_id: string; auth_uri: string; connect_uri: string; expires_at: string };
}

const fitsThePhone = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe('the connect page and connect.js, in Chromium', () => {
  it('the popup shows who asks for what and for how long; consent resolves with the connection_id', async () => {
    const created = await newRequest({ connection_name: 'Sales demo' });
    expect(created.connect_uri).toMatch(new RegExp(`^${stack.apiUrl}/connect/[A-Za-z0-9_-]{43}$`));
    expect(created.connect_uri).not.toContain(created.pull_id);
    expect(new URL(created.auth_uri).origin).toBe(stack.providerIssuer);
    // Only the id's hash is stored, and the auth_uri (its state) only encrypted.
    const connectId = created.connect_uri.split('/').pop()!;
    const stored = JSON.stringify(await clients.store.connectPages.find({ accountId }).toArray());
    expect(stored).not.toContain(connectId);
    expect(stored).not.toContain(new URL(created.auth_uri).searchParams.get('state'));

    const headers = (await fetch(created.connect_uri)).headers;
    const csp = headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");

    const { context, page, cspViolations } = await openClientApp();
    try {
      const { popup, outcome } = await connectInPopup(page, created.connect_uri);
      const text = (await popup.textContent('main'))!;
      expect(text).toContain('Connect your Demo provider account');
      expect(text).toContain('Acme Analytics');
      expect(text).toContain('Read your demo data');
      expect(text).toContain('Sales demo');
      expect(await popup.textContent('#time-left')).toMatch(/^(9|10) minutes? \d+ seconds?$/);
      expect(await fitsThePhone(popup)).toBe(true);
      await popup.screenshot({ path: `${ARTIFACTS}connect-page.png`, fullPage: true });

      // The one button has the focus: Enter goes on to the provider.
      await popup.keyboard.press('Enter');
      await popup.waitForURL((url) => url.origin === stack.providerIssuer);
      await signInAndConsent(popup);
      const result = await outcome;
      expect(result.error).toBeUndefined();
      const connection = await clients.store.connections.findOne({ _id: result.connection_id! });
      expect(connection).toMatchObject({ accountId, provider: 'demo', status: 'active', name: 'Sales demo' });
      // A successful popup closes itself.
      await waitUntil('the popup to close', async () => popup.isClosed());
      expect(cspViolations).toEqual([]);
    } finally {
      await context.close();
    }

    // The link is spent: it says so, and its button leads nowhere.
    const again = await fetch(created.connect_uri);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('This link was already used');
    const press = await fetch(created.connect_uri, { method: 'POST', redirect: 'manual' });
    expect(press.status).toBe(410);
    expect(press.headers.get('location')).toBeNull();
  });

  it('a denial rejects with access_denied and the popup says what happened and what to do', async () => {
    const created = await newRequest({ redirect_url: `${appOrigin}/done` });
    const { context, page, cspViolations } = await openClientApp();
    try {
      const { popup, outcome } = await connectInPopup(page, created.connect_uri);
      await popup.click('button:has-text("Continue to Demo provider")');
      await signInAndConsent(popup, { deny: true });
      const result = await outcome;
      expect(result).toMatchObject({ error: 'access_denied' });
      await popup.waitForSelector('h1:has-text("You did not allow access")');
      const text = (await popup.textContent('main'))!;
      expect(text).toContain('go back to the app and start again');
      // In the popup the app already knows: "Close this window", not "Back to the app".
      expect(await popup.isVisible('#close')).toBe(true);
      expect(await popup.isVisible('#back')).toBe(false);
      expect(await fitsThePhone(popup)).toBe(true);
      await popup.screenshot({ path: `${ARTIFACTS}result-denied.png`, fullPage: true });
      await popup.click('#close');
      await waitUntil('the popup to close', async () => popup.isClosed());
      expect(cspViolations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without a popup, the result page has a button back to the redirect_url', async () => {
    const created = await newRequest({ redirect_url: `${appOrigin}/done` });
    const context = await clients.browser.newContext({ viewport: PHONE });
    try {
      const page = await context.newPage();
      await page.goto(created.connect_uri);
      expect(await fitsThePhone(page)).toBe(true);
      expect(await page.isVisible('#close')).toBe(false);
      await page.screenshot({ path: `${ARTIFACTS}connect-page-phone.png`, fullPage: true });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: `${ARTIFACTS}connect-page-dark.png`, fullPage: true });
      await page.click('button:has-text("Continue to Demo provider")');
      await signInAndConsent(page);
      await page.waitForSelector('h1:has-text("Demo provider is connected")');
      expect(await page.isVisible('#close')).toBe(false);
      await page.screenshot({ path: `${ARTIFACTS}result-connected.png`, fullPage: true });
      await page.click('#back');
      await page.waitForURL((url) => url.origin === appOrigin);
      const back = new URL(page.url());
      expect(back.pathname).toBe('/done');
      expect(await clients.store.connections.findOne({ _id: back.searchParams.get('connection_id')! })).toMatchObject({
        accountId,
      });
    } finally {
      await context.close();
    }
  });

  it('closing the popup rejects with window_closed within a second; a blocked popup rejects at once', async () => {
    const created = await newRequest();
    const { context, page } = await openClientApp();
    try {
      const { popup, outcome } = await connectInPopup(page, created.connect_uri);
      await popup.waitForSelector('#continue');
      const closedAt = await page.evaluate(() => Date.now());
      await popup.close();
      const result = await outcome;
      expect(result.error).toBe('window_closed');
      expect(result.at - closedAt).toBeLessThan(1000);

      const blocked = await page.evaluate(async (uri) => {
        window.open = () => null;
        const started = Date.now();
        const error = await (window as any).connectflow.connect(uri).catch((e: { error: string }) => e.error);
        return { error, ms: Date.now() - started };
      }, created.connect_uri);
      expect(blocked.error).toBe('popup_blocked');
      expect(blocked.ms).toBeLessThan(100);
    } finally {
      await context.close();
    }
  });

  it('an expired link is refused before the provider, and the promise rejects with expired', async () => {
    const issued = await startConnectionFlow(clients.temporal, 'connectflow', testTiming, {
      accountId,
      provider: 'demo',
      validitySeconds: 2,
      scopes: null,
      redirectUrl: null,
      connectionName: null,
    });
    const connectUri = await openConnectPage(clients.store, keyRing, stack.apiUrl, {
      authorizationRequestId: authorizationRequestIdOf(issued.pullId),
      accountId,
      ...issued,
    });
    await waitUntil(
      'the request to expire',
      async () =>
        (await clients.store.oauthRequests.findOne({ connectionId: issued.connectionId }))?.status === 'expired',
    );
    const { context, page } = await openClientApp();
    const toProvider: string[] = [];
    context.on('request', (r) => {
      if (new URL(r.url()).origin === stack.providerIssuer) toProvider.push(r.url());
    });
    try {
      const { popup, outcome } = await connectInPopup(page, connectUri);
      expect(await outcome).toMatchObject({ error: 'expired' });
      expect(await popup.textContent('h1')).toBe('This link has expired');
      expect(await popup.isVisible('form')).toBe(false);
      await popup.screenshot({ path: `${ARTIFACTS}connect-expired.png`, fullPage: true });
      const press = await fetch(connectUri, { method: 'POST', redirect: 'manual' });
      expect(press.status).toBe(410);
      expect(toProvider).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a page of an origin the account does not allow is refused; an unknown link says it does not work', async () => {
    const created = await newRequest();
    const foreign = await fetch(`${created.connect_uri}?opener_origin=${encodeURIComponent('https://evil.example')}`);
    expect(foreign.status).toBe(403);
    const unknown = await fetch(`${stack.apiUrl}/connect/${'x'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('This link does not work');
    const script = await fetch(`${stack.apiUrl}/connect.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });
});
