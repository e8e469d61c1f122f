const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** /docs: the OpenAPI document as one readable page (no external assets). */
export function renderApiDocs(openApi: Record<string, unknown>): string {
  const paths = openApi.paths as Record<string, Record<string, { summary: string; 'x-scope'?: string; requestBody?: unknown; parameters?: unknown[]; responses: Record<string, { description: string }> }>>;
  const rows = Object.entries(paths)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) => `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>
<p>${escapeHtml(op.summary)}${op['x-scope'] ? ` · scope <code>${op['x-scope']}</code>` : ' · public'}</p>
${op.parameters ? `<details><summary>parameters</summary><pre>${escapeHtml(JSON.stringify(op.parameters, null, 2))}</pre></details>` : ''}
${op.requestBody ? `<details><summary>body</summary><pre>${escapeHtml(JSON.stringify(op.requestBody, null, 2))}</pre></details>` : ''}
<p>${Object.entries(op.responses).map(([s, r]) => `<code>${s}</code> ${escapeHtml(r.description)}`).join(' · ')}</p></section>`,
      ),
    );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>connectflow API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}section{border-top:1px solid #ddd}pre{background:#f4f4f4;padding:.5rem;overflow:auto}</style></head>
<body><h1>connectflow API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>. Errors are <code>{ error, message, details? }</code>.</p>${rows.join('\n')}</body></html>`;
}
