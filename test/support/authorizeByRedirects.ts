/**
 * What an end user does at the demo provider, without a browser: signs in and consents on
 * oidc-provider's own pages by posting their forms and following the redirects with a cookie jar,
 * until the provider redirects to `callbackPrefix`; returns that redirect (code, state, ...).
 */
export async function authorizeByRedirects(authUri: string, callbackPrefix: string): Promise<URL> {
  const jar = new Map<string, Map<string, string>>();
  const send = async (url: string, form?: Record<string, string>) => {
    const cookies = jar.get(new URL(url).origin) ?? new Map<string, string>();
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    jar.set(new URL(url).origin, cookies);
    return response;
  };

  let response = await send(authUri);
  let url = authUri;
  for (let step = 0; step < 12; step++) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url).href;
      if (next.startsWith(callbackPrefix)) return new URL(next);
      await response.text();
      url = next;
      response = await send(url);
      continue;
    }
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (response.status !== 200 || !action || !prompt) {
      throw new Error(`the provider answered ${response.status} at ${url}: ${page.slice(0, 300)}`);
    }
    url = new URL(action, url).href;
    response = await send(url, { prompt, login: 'alice', password: 'any password' });
  }
  throw new Error(`no redirect to ${callbackPrefix} after 12 steps`);
}
