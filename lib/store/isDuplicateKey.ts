/** A unique-key insert that lost to an equal key (MongoDB's and FerretDB's code 11000). */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 11000;
}
