import type { Collection, Document, UpdateFilter, WithId } from 'mongodb';

/**
 * Updates one document found by `_id` alone and returns it as it was before (null if there is none); the
 * caller checks any other condition in code. Why by `_id` alone: lib/store/README.md (rule 1).
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
