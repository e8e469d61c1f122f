import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { refreshTiming } from '../../lib/config.js';
import { secretHash } from '../../lib/crypto/secretHash.js';
import { chooseOAuthApp, notConfiguredMessage } from '../../lib/providers/oauthAppCredentials.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import { findConnection } from '../../lib/store/connections.js';
import type {
  ConnectionDoc,
  EndUserProfile,
  ImportedCredentials,
  IntegrationDoc,
  TokenImportDoc,
} from '../../lib/store/documents.js';
import { currentIntegrationConnection } from '../../lib/store/integrations.js';
import { claimTokenImport, dropTokenImport, tokenImportId } from '../../lib/store/tokenImports.js';
import { connectionWorkflowStartOptions } from '../../lib/temporal/connectionWorkflowStart.js';
import { importOutcomeUpdate, type FlowOutcome } from '../../workflows/connectionMessages.js';
import { connectionWorkflow } from '../../workflows/connectionWorkflow.js';
import type { ApiContext } from '../ApiContext.js';
import { HttpError } from '../errors/HttpError.js';
import { assertResolvable, checkedConnectionConfig } from '../oauth2/issueAuthorization.js';
import { knownProvider } from '../connectionTypes/knownProvider.js';

/** Tokens obtained elsewhere, to become a connection of the account (of an end user, of an integration). */
export interface ConnectionImport {
  accountId: string;
  /** the datasource id as the client named it (an alias stays the connection's provider) */
  provider: string;
  connectionName: string | null;
  credentials: ImportedCredentials;
  /** the request's credentials as sent: a repeat of exactly these is answered with the same connection */
  sentCredentials: Record<string, unknown>;
  connectionConfig?: Record<string, string>;
  ownerId: string | null;
  ownerProfile?: EndUserProfile;
  integration: IntegrationDoc | null;
}

/** The connection an import made, and whether it had made it before (an identical repeat). */
export interface ImportedConnection {
  connection: ConnectionDoc;
  existing: boolean;
}

/** Errors of an import that the provider or an unreachable provider caused. */
const UNAVAILABLE = new Set(['provider_unreachable', 'provider_unavailable']);

/**
 * Imports tokens: claims the token for the account (one import per token), then starts the
 * connection's workflow at `activateImport` and waits for it to prove and save them (one refresh when
 * there is a refresh token). A repeat of an import answers its connection (an identical request) or
 * 409 (a different one); a repeat of an import still under way waits for it.
 */
export async function importConnection(ctx: ApiContext, input: ConnectionImport): Promise<ImportedConnection> {
  const entry = knownProvider(ctx.catalog, input.provider);
  const connectionConfig = checkedConnectionConfig(entry, input.connectionConfig);
  const chosen = await chooseOAuthApp(ctx.store, ctx.config, input.accountId, entry, input.integration);
  if (!chosen)
    throw new HttpError(422, 'provider_not_configured', notConfiguredMessage(entry, input.integration?.slug));
  await assertResolvable(ctx, entry, connectionConfig);

  const importId = tokenImportId(input.accountId, input.credentials);
  const requestHash = hashOf(input);
  // A few rounds: a claim found stale (its connection gone, its import refused) is cleared and tried again.
  for (let round = 0; round < 3; round++) {
    const held = await ctx.store.tokenImports.findOne({ _id: importId });
    if (held) {
      const answer = await answerRepeat(ctx, held, requestHash);
      if (answer) return answer;
      continue;
    }
    if (input.integration) await assertNotConnected(ctx, input.integration, input.ownerId);
    const now = new Date();
    const claim: TokenImportDoc = {
      _id: importId,
      accountId: input.accountId,
      connectionId: randomUUID(),
      provider: input.provider,
      status: 'pending',
      requestHash,
      connectionName: input.connectionName ?? `${entry.name} connection`,
      scopes: input.credentials.scope?.split(/[\s,]+/).filter(Boolean) ?? chosen.scopes ?? entry.defaultScopes,
      connectionConfig,
      oauthApp: chosen.ref,
      ownerId: input.ownerId,
      ...(input.ownerProfile ? { ownerProfile: input.ownerProfile } : {}),
      integrationId: input.integration?.slug ?? null,
      createdAt: now,
      updatedAt: now,
    };
    claim.credentials = ctx.keyRing.encryptJson(input.credentials, claim.connectionId);
    if (await claimTokenImport(ctx.store, claim)) continue; // another import took the token meanwhile
    const outcome = await runImport(ctx, claim, 'FAIL');
    return { connection: await importedConnection(ctx, claim, outcome), existing: false };
  }
  throw new HttpError(409, 'import_in_progress', 'this token is being imported by another request; try again');
}

/** A token already claimed: its connection (identical request), 409 (another), or null when the claim was stale. */
async function answerRepeat(
  ctx: ApiContext,
  held: TokenImportDoc,
  requestHash: string,
): Promise<ImportedConnection | null> {
  if (held.status === 'pending') {
    // Still being proven (or its API stopped before starting it): wait on that import's own workflow.
    const outcome = await runImport(ctx, held, 'USE_EXISTING');
    if (!outcome.connected) {
      if (held.requestHash === requestHash) refused(outcome);
      return null;
    }
  }
  const connection = await findConnection(ctx.store, held.connectionId);
  if (!connection || connection.status === 'deleted') {
    await dropTokenImport(ctx.store, held._id);
    return null;
  }
  if (held.requestHash === requestHash) return { connection, existing: true };
  throw new HttpError(409, 'already_imported', `this token was imported already, as connection ${connection._id}`, {
    connection_id: connection._id,
  });
}

/** A per-user integration holds one connection per end user, a shared one one per account. */
async function assertNotConnected(ctx: ApiContext, integration: IntegrationDoc, ownerId: string | null) {
  const current = await currentIntegrationConnection(ctx.store, integration, ownerId);
  if (!current) return;
  throw new HttpError(
    409,
    'already_connected',
    `integration ${integration.slug} already has this connection (${current._id}); delete it first to import other tokens`,
    { connection_id: current._id },
  );
}

/** Starts (or joins) the import's workflow and waits for how its first step ended. */
async function runImport(
  ctx: ApiContext,
  claim: TokenImportDoc,
  conflict: 'FAIL' | 'USE_EXISTING',
): Promise<FlowOutcome> {
  const timing = timingForProvider(refreshTiming(ctx.config), ctx.catalog.get(claim.provider));
  const input = {
    connectionId: claim.connectionId,
    accountId: claim.accountId,
    provider: claim.provider,
    timing,
    integrationId: claim.integrationId,
    ownerId: claim.ownerId,
    imported: { importId: claim._id },
  };
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof connectionWorkflow>(
    connectionWorkflow,
    connectionWorkflowStartOptions(input, ctx.config.TEMPORAL_TASK_QUEUE, 'pending', conflict),
  );
  return ctx.temporal.workflow.executeUpdateWithStart(importOutcomeUpdate, { startWorkflowOperation });
}

async function importedConnection(
  ctx: ApiContext,
  claim: TokenImportDoc,
  outcome: FlowOutcome,
): Promise<ConnectionDoc> {
  if (!outcome.connected) refused(outcome);
  const doc = await findConnection(ctx.store, claim.connectionId);
  if (!doc) throw new HttpError(409, 'conflict', 'the connection was deleted while it was being imported');
  return doc;
}

/** The provider refused the tokens (422) or could not be asked (502): nothing was saved. */
function refused(outcome: Extract<FlowOutcome, { connected: false }>): never {
  const unavailable = UNAVAILABLE.has(outcome.error);
  throw new HttpError(
    unavailable ? 502 : 422,
    outcome.error,
    `${unavailable ? 'the provider could not be asked to refresh the imported tokens' : 'the provider refused the imported tokens'}: ${outcome.error_description ?? outcome.error}; nothing was saved`,
    { error: outcome.error, error_description: outcome.error_description },
  );
}

/** What identifies an import request: its target and its credentials as sent (hashed; they hold tokens). */
function hashOf(input: ConnectionImport): string {
  const sorted = (value: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
  return secretHash(
    JSON.stringify([
      input.provider,
      input.connectionName,
      sorted(input.sentCredentials),
      sorted(input.connectionConfig ?? {}),
      input.ownerId,
      input.integration?.slug ?? null,
    ]),
  );
}
