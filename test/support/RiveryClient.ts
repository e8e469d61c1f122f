/**
 * A client of the Rivery API written from the seeds (000/001/002): same paths and bodies, only the
 * base URL differs. Returns status and parsed body so tests can check both.
 */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export class RiveryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  connectionTypes() {
    return this.request('GET', '/api/connection_types');
  }
  /** OAuth2 New Credentials Request */
  newOAuth2Request(body: { datasource_id: string; validity_duration: number; [k: string]: unknown }) {
    return this.request('POST', '/api/oauth2', body);
  }
  /** OAuth2 Get Credentials */
  getCredentials(body: { pull_id: string; auth_uri?: string }) {
    return this.request('POST', '/api/oauth2/credentials', body);
  }
  /** Create New Connection */
  createConnection(body: { connection_type: string; connection_name: string; credentials: unknown }) {
    return this.request('PUT', '/api/connections', body);
  }
  /** Update Connection by ID: the whole body, with the changed parameter */
  updateConnection(id: string, body: Record<string, unknown>) {
    return this.request('PUT', `/api/connections/${encodeURIComponent(id)}`, body);
  }
  listConnections(query = '') {
    return this.request('GET', `/api/connections${query}`);
  }
  getConnection(id: string, query = '') {
    return this.request('GET', `/api/connections/${encodeURIComponent(id)}${query}`);
  }

  async request(method: string, path: string, body?: unknown, rawBody?: string): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
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
