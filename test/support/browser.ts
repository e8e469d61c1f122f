import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless, driven by playwright-core (no downloaded browser). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface CallbackLanding {
  status: number | null;
  url: string;
  result: Record<string, any>;
}

/**
 * What an end user does with an auth_uri at the demo provider (oidc-provider's own pages): sign in,
 * then consent (or cancel), and land on connectflow's callback page; returns that page's result.
 */
export async function authorizeInBrowser(
  browser: Browser,
  authUri: string,
  options: { user?: string; deny?: boolean } = {},
): Promise<CallbackLanding> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    let callbackStatus: number | null = null;
    page.on('response', (res) => {
      if (new URL(res.url()).pathname === '/oauth2/callback') callbackStatus = res.status();
    });
    await page.goto(authUri);
    await signInAndConsent(page, options);
    await waitForCallbackPage(page);
    const result = JSON.parse((await page.textContent('#result')) ?? '{}');
    return { status: callbackStatus, url: page.url(), result };
  } finally {
    await context.close();
  }
}

/** At the demo provider's sign-in page (oidc-provider's own pages): sign in, then consent or cancel. */
export async function signInAndConsent(page: Page, options: { user?: string; deny?: boolean } = {}): Promise<void> {
  await page.fill('input[name="login"]', options.user ?? 'alice');
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
  if (options.deny) await page.click('a:has-text("Cancel")');
  else await page.click('button[type="submit"]');
}

async function waitForCallbackPage(page: Page): Promise<void> {
  await page.waitForURL((url) => url.pathname === '/oauth2/callback', { timeout: 60_000 });
  await page.waitForSelector('#result', { timeout: 60_000 });
}
