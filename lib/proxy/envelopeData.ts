/**
 * The `data` of a `POST .../request` envelope as the caller wrote it. JSON.parse would turn
 * 12345678901234567890 into 12345678901234567000 and drop the formatting; the provider gets the text
 * itself: a JSON string's content as it is (form bodies, XML), any other JSON value byte for byte.
 */
export type EnvelopeData = { kind: 'text'; text: string } | { kind: 'json'; text: string };

/** `json` must already be known to be valid JSON with an object at the top (it was parsed first). */
export function envelopeData(json: string, key = 'data'): EnvelopeData | undefined {
  const raw = rawMember(json, key);
  if (raw === undefined || raw === 'null') return undefined;
  if (raw.startsWith('"')) return { kind: 'text', text: JSON.parse(raw) as string };
  return { kind: 'json', text: raw };
}

/** The raw text of a top-level member of a JSON object (the last one, as JSON.parse keeps), or undefined. */
export function rawMember(json: string, key: string): string | undefined {
  let i = skipSpace(json, 0);
  if (json[i] !== '{') return undefined;
  i = skipSpace(json, i + 1);
  let found: string | undefined;
  while (i < json.length && json[i] !== '}') {
    const keyEnd = endOfString(json, i);
    const name = JSON.parse(json.slice(i, keyEnd)) as string;
    i = skipSpace(json, skipSpace(json, keyEnd) + 1); // past the colon
    const valueEnd = endOfValue(json, i);
    if (name === key) found = json.slice(i, valueEnd);
    i = skipSpace(json, valueEnd);
    if (json[i] === ',') i = skipSpace(json, i + 1);
  }
  return found;
}

function skipSpace(json: string, i: number): number {
  while (i < json.length && ' \t\n\r'.includes(json[i]!)) i++;
  return i;
}

/** `i` at an opening quote; returns the index after the closing one. */
function endOfString(json: string, i: number): number {
  for (let j = i + 1; j < json.length; j++) {
    if (json[j] === '\\') j++;
    else if (json[j] === '"') return j + 1;
  }
  return json.length;
}

function endOfValue(json: string, i: number): number {
  const first = json[i];
  if (first === '"') return endOfString(json, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < json.length; j++) {
      const c = json[j];
      if (c === '"') j = endOfString(json, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return json.length;
  }
  let j = i;
  while (j < json.length && !',}] \t\n\r'.includes(json[j]!)) j++;
  return j;
}
