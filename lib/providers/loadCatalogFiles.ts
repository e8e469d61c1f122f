import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  CATALOG_ID_PATTERN,
  catalogFileSchema,
  catalogFileSchemaFor,
  type CatalogFile,
  type CatalogFileOptions,
} from './catalogFileSchema.js';

export type CatalogProblem = { id: string; problem: string };
export type CatalogLoadResult = { entries: CatalogFile[]; problems: CatalogProblem[] };

const STRICT: CatalogFileOptions = { allowLoopbackHttp: false };
const describe = (error: z.ZodError) => z.prettifyError(error).replace(/\n+/g, '; ');

/** Validate one file's text; the id is the file name without `.yaml`. */
export function parseCatalogFile(
  id: string,
  text: string,
  options: CatalogFileOptions = STRICT,
): { entry: CatalogFile } | { problem: string } {
  if (!CATALOG_ID_PATTERN.test(id)) return { problem: `file name ${id}.yaml does not match ^[a-z0-9_]+$` };
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    return { problem: `YAML does not parse: ${(err as Error).message.split('\n')[0]}` };
  }
  const result = catalogFileSchemaFor(id, options).safeParse(raw);
  if (!result.success) return { problem: describe(result.error) };
  return { entry: result.data };
}

/**
 * Read every `<id>.yaml` in a directory. Each file stands alone: one that does not parse or validate
 * is reported as `{ id, problem }` and the others still load. Entries come back sorted by id.
 */
export async function loadCatalogFiles(dir: string, options: CatalogFileOptions = STRICT): Promise<CatalogLoadResult> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  const entries: CatalogFile[] = [];
  const problems: CatalogProblem[] = [];
  for (const name of names) {
    const id = name.replace(/\.ya?ml$/, '');
    if (name.endsWith('.yml')) {
      problems.push({ id, problem: `${name}: catalog files are named <id>.yaml` });
      continue;
    }
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch (err) {
      problems.push({ id, problem: `cannot read ${name}: ${(err as Error).message}` });
      continue;
    }
    const parsed = parseCatalogFile(id, text, options);
    if ('entry' in parsed) entries.push(parsed.entry);
    else problems.push({ id, problem: parsed.problem });
  }
  return { entries, problems };
}

/** Entries given inline as a JSON array of the same shape as the files; each one stands alone. */
export function parseCatalogJson(text: string, options: CatalogFileOptions = STRICT): CatalogLoadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { entries: [], problems: [{ id: '(json)', problem: `not JSON: ${(err as Error).message}` }] };
  }
  if (!Array.isArray(raw)) return { entries: [], problems: [{ id: '(json)', problem: 'not a JSON array' }] };
  const entries: CatalogFile[] = [];
  const problems: CatalogProblem[] = [];
  raw.forEach((item: unknown, index) => {
    const id = (item as { id?: unknown } | null)?.id;
    const result = catalogFileSchema(options).safeParse(item);
    if (result.success) entries.push(result.data);
    else problems.push({ id: typeof id === 'string' ? id : `(entry ${index})`, problem: describe(result.error) });
  });
  return { entries, problems };
}
