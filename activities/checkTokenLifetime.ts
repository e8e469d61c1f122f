/** A token response whose `expires_in` the refresh plan cannot take as it is. */
export interface TokenLifetimeProblem {
  expires_in: string;
  reason: 'not_a_number' | 'not_positive' | 'below_minimum';
}

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/**
 * Reads a successful token response's `expires_in` before oauth4webapi does (it rejects a
 * non-numeric or negative one, which would fail the whole exchange or refresh). A value that is not a
 * number, or not positive, becomes 0: the token may already have lapsed, so it is never handed out as
 * good, and the plan's minimum interval paces its refreshes. A lifetime below that minimum is kept as
 * stated and reported. Other responses pass through untouched.
 */
export async function checkTokenLifetime(
  response: Response,
  minSeconds: number,
): Promise<{ response: Response; problem: TokenLifetimeProblem | null }> {
  if (response.status < 200 || response.status >= 300) return { response, problem: null };
  let body: unknown;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    return { response, problem: null };
  }
  if (typeof body !== 'object' || body === null || !('expires_in' in body)) return { response, problem: null };
  const json = body as Record<string, unknown>;
  const raw = json.expires_in;
  const stated = typeof raw === 'number' ? raw : typeof raw === 'string' && NUMERIC.test(raw) ? Number(raw) : NaN;
  const shown = String(raw).slice(0, 40);
  if (Number.isFinite(stated) && stated >= minSeconds) return { response, problem: null };
  if (Number.isFinite(stated) && stated > 0)
    return { response, problem: { expires_in: shown, reason: 'below_minimum' } };
  json.expires_in = 0;
  const problem: TokenLifetimeProblem = {
    expires_in: shown,
    reason: Number.isFinite(stated) ? 'not_positive' : 'not_a_number',
  };
  return {
    response: new Response(JSON.stringify(json), { status: response.status, headers: response.headers }),
    problem,
  };
}
