import type { ApiResponse } from './RiveryClient.js';

/**
 * A client of the integrations API written from its public description: same paths and bodies,
 * only the base URL differs. Returns status, parsed body and the Location of a redirect.
 */
export class IntegrationsClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** GET /api/integrations/{id}/connect: the provider's authorization page the browser goes to (302). */
  async connectUrl(id: string): Promise<{ status: number; location: string | null }> {
    const res = await fetch(new URL(`/api/integrations/${encodeURIComponent(id)}/connect`, this.baseUrl), {
      headers: { authorization: `Bearer ${this.token}` },
      redirect: 'manual',
    });
    await res.text();
    return { status: res.status, location: res.headers.get('location') };
  }
  /** POST /api/integrations/{id}/connect */
  connect(id: string, body: Record<string, unknown>) {
    return this.request('POST', `/api/integrations/${encodeURIComponent(id)}/connect`, body);
  }
  /** GET /api/integrations/{id}/connection */
  connection(id: string) {
    return this.request('GET', `/api/integrations/${encodeURIComponent(id)}/connection`);
  }
  /** DELETE /api/integrations/{id}/connection */
  disconnect(id: string) {
    return this.request('DELETE', `/api/integrations/${encodeURIComponent(id)}/connection`);
  }
  /** GET /api/integration-connections */
  integrationConnections(query = '') {
    return this.request('GET', `/api/integration-connections${query}`);
  }
  /** POST /api/integrations/{id}/request */
  proxy(id: string, body: { method?: string; url: string; headers?: Record<string, string>; data?: unknown }) {
    return this.request('POST', `/api/integrations/${encodeURIComponent(id)}/request`, body);
  }
  /** GET /api/integrations/{id}/request/{path*} */
  proxyGet(id: string, path: string) {
    return this.request('GET', `/api/integrations/${encodeURIComponent(id)}/request/${path}`);
  }

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: tests that care assert on the text
    }
    return { status: res.status, body: parsed };
  }
}
