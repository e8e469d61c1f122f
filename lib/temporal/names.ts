import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Names shared by the API (which starts and signals) and the worker (which runs). */
export const connectionWorkflowId = (connectionId: string): string => `connection/${connectionId}`;
/** The update id of an authorization request's callback delivery: a retried delivery attaches to the first. */
export const callbackUpdateId = (authorizationRequestId: string): string => `callback/${authorizationRequestId}`;

export const ConnectionIdAttribute = defineSearchAttributeKey('ConnectionId', SearchAttributeType.KEYWORD);
export const ProviderAttribute = defineSearchAttributeKey('Provider', SearchAttributeType.KEYWORD);
export const AccountIdAttribute = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const ConnectionStatusAttribute = defineSearchAttributeKey('ConnectionStatus', SearchAttributeType.KEYWORD);
/** The integration a connection was made through, and its end user (absent on account-level ones). */
export const IntegrationIdAttribute = defineSearchAttributeKey('IntegrationId', SearchAttributeType.KEYWORD);
export const OwnerIdAttribute = defineSearchAttributeKey('OwnerId', SearchAttributeType.KEYWORD);

/** The custom search attributes a Temporal namespace must have for connection workflows (all Keyword). */
export const SEARCH_ATTRIBUTE_NAMES = [
  ConnectionIdAttribute,
  ProviderAttribute,
  AccountIdAttribute,
  ConnectionStatusAttribute,
  IntegrationIdAttribute,
  OwnerIdAttribute,
].map((key) => key.name);

/** The delivery workflow of one lane (a connection's messages, or `ping`) of an account's webhook. */
export const webhookLaneWorkflowId = (accountId: string, lane: string): string => `webhook/${accountId}/${lane}`;

/** Webhook delivery activities run on a task queue of their own, so a slow receiver never holds a connection's worker slots. */
export const webhookTaskQueue = (connectionTaskQueue: string): string => `${connectionTaskQueue}-webhooks`;
