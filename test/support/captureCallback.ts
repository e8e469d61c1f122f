import type { Browser } from 'playwright-core';
import { waitFor } from '../../scripts/dev/servers/waitFor.js';

/**
 * Signs in and consents at the demo provider in the browser, but keeps the browser from reaching
 * connectflow's callback: returns the callback URL (with code and state) for the test to deliver.
 */
export async function captureCallback(browser: Browser, authUri: string, callbackPrefix: string): Promise<URL> {
  const issuer = new URL(authUri).origin;
  const context = await browser.newContext();
  const page = await context.newPage();
  let captured: string | undefined;
  // Each form POST at the provider redirects to its resume endpoint, which redirects on (to consent, or
  // to our callback). Follow those redirects here, with the browser's cookies, and keep the last one.
  await page.route(`${issuer}/interaction/**`, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch({ maxRedirects: 0 });
    const resume = response.headers()['location'];
    if (!resume) return route.fulfill({ response });
    const next =
      (await context.request.get(new URL(resume, issuer).href, { maxRedirects: 0 })).headers()['location'] ?? '';
    if (next.startsWith(callbackPrefix)) {
      captured = next;
      return route.abort();
    }
    return route.fulfill({ status: 303, headers: { location: new URL(next, issuer).href } });
  });
  try {
    await page.goto(authUri);
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'x');
    await page.click('button[type="submit"]');
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
    await page.click('button[type="submit"]').catch(() => undefined);
    await waitFor('the provider to redirect to the callback', async () => captured, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
  } finally {
    await context.close();
  }
  return new URL(captured!);
}
