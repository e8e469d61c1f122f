import type { Collection, Document, UpdateFilter, WithId } from 'mongodb';

/**
 * Updates one document found by `_id` alone and returns it as it was before (null if there is none).
 * Hot paths read and write by `_id` only: FerretDB (the development and test store) pushes a filter of
 * exactly `{_id}` down to SQLite's index (with our build's patch, see scripts/dev/servers/buildTools.ts) but
 * filters documents one by one in Go for any filter with more fields (10,000 documents: 1–2 ms
 * against 840 ms). Conditions other than the `_id` are checked in code by the caller; MongoDB serves
 * both forms from its index.
 */
export async function setById<T extends Document & { _id: string }>(
  collection: Collection<T>,
  id: string,
  update: UpdateFilter<T>,
  options: { upsert?: boolean } = {},
): Promise<WithId<T> | null> {
  return collection.findOneAndUpdate({ _id: id } as never, update, {
    upsert: options.upsert ?? false,
    returnDocument: 'before',
  });
}
