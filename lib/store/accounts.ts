import type { Store } from './openStore.js';

type Accounts = Pick<Store, 'accounts'>;

/** The origins (scheme://host[:port]) an account's redirect_url may point at; none until it sets them. */
export async function redirectOriginsOf(store: Accounts, accountId: string): Promise<string[]> {
  return (await store.accounts.findOne({ _id: accountId }))?.redirectOrigins ?? [];
}

export async function setRedirectOrigins(store: Accounts, accountId: string, redirectOrigins: string[]): Promise<void> {
  const now = new Date();
  await store.accounts.updateOne(
    { _id: accountId },
    { $set: { redirectOrigins, updatedAt: now }, $setOnInsert: { createdAt: now } },
    { upsert: true },
  );
}
