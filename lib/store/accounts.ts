import type { AccountDoc } from './documents.js';
import type { Store } from './openStore.js';

type Accounts = Pick<Store, 'accounts'>;

/** The origins (scheme://host[:port]) an account's redirect_url may point at; none until it sets them. */
export async function redirectOriginsOf(store: Accounts, accountId: string): Promise<string[]> {
  return (await store.accounts.findOne({ _id: accountId }))?.redirectOrigins ?? [];
}

/** The settings an account sets with PUT /api/account; null until it does. */
export function accountOf(store: Accounts, accountId: string): Promise<AccountDoc | null> {
  return store.accounts.findOne({ _id: accountId });
}

/** Replaces the account's settings: a name left out is removed. */
export async function setAccountSettings(
  store: Accounts,
  accountId: string,
  settings: { redirectOrigins: string[]; name?: string },
): Promise<void> {
  const now = new Date();
  const { redirectOrigins, name } = settings;
  await store.accounts.updateOne(
    { _id: accountId },
    {
      $set: { redirectOrigins, updatedAt: now, ...(name === undefined ? {} : { name }) },
      ...(name === undefined ? { $unset: { name: '' as const } } : {}),
      $setOnInsert: { createdAt: now },
    },
    { upsert: true },
  );
}
