import { z } from 'zod';
import { END_USER_ID_PATTERN } from '../../lib/store/apiTokens.js';

/** How long an authorization request may wait for its user: 5 minutes to 12 hours (Rivery's bounds). */
const VALIDITY_MIN_SECONDS = 300;
const VALIDITY_MAX_SECONDS = 43200;
/** When a request that may leave it out (the browser flow, reauthorize) does. */
export const DEFAULT_VALIDITY_SECONDS = 1800;

const boundsMessage = `validity_duration must be an integer number of seconds between ${VALIDITY_MIN_SECONDS} and ${VALIDITY_MAX_SECONDS}`;

/** `validity_duration`, in seconds, within the bounds. */
export const ValidityDuration = z
  .number({ error: boundsMessage })
  .int({ error: boundsMessage })
  .min(VALIDITY_MIN_SECONDS, { error: boundsMessage })
  .max(VALIDITY_MAX_SECONDS, { error: boundsMessage });

/** The values of a provider's `{name}` templates; checked against the provider's own patterns. */
export const ConnectionConfigInput = z
  .record(z.string().min(1).max(64), z.string().max(253))
  .refine((values) => Object.keys(values).length <= 20, 'at most 20 connection_config fields');

/** The end user a connection is for, as the account names it (an account-level token only). */
export const EndUserInput = z.object({
  id: z.string().regex(END_USER_ID_PATTERN, 'end user ids are 1-200 characters of A-Z a-z 0-9 _ . @ : + -'),
  email: z.email().max(320).optional(),
  display_name: z.string().trim().min(1).max(200).optional(),
});

export const NewOAuth2RequestBody = z.object({
  datasource_id: z.string().min(1).max(100),
  validity_duration: ValidityDuration,
  connection_name: z.string().trim().min(1).max(200).optional(),
  redirect_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  scopes: z.array(z.string().min(1).max(200)).min(1).max(50).optional(),
  connection_config: ConnectionConfigInput.optional().describe(
    'values of the provider\'s connection_config fields (GET /api/connection_types/:datasource_id), e.g. {"subdomain": "acme"}',
  ),
  end_user: EndUserInput.optional().describe(
    "the end user the connection belongs to (its ownerId); a user-bound token's connections are its user's",
  ),
});

/** A new authorization request as its client gets it (POST /api/oauth2, POST .../reauthorize). */
export const IssuedRequest = z.object({
  pull_id: z.string(),
  auth_uri: z.string().describe("the provider's authorization URL, to open directly"),
  connect_uri: z.string().describe("connectflow's connect page for the end user, which leads to auth_uri"),
  expires_at: z.string(),
});

/** The Rivery shape of an issued request: the pull_id the API minted, the auth_uri the workflow built, its connect page. */
export const issuedRequestView = (issued: {
  pullId: string;
  authUri: string;
  connectUri: string;
  expiresAt: string;
}) => ({
  pull_id: issued.pullId,
  auth_uri: issued.authUri,
  connect_uri: issued.connectUri,
  expires_at: issued.expiresAt,
});

export const CredentialsRequestBody = z.object({
  pull_id: z.string().min(1).max(200),
  auth_uri: z.string().max(8192).optional(),
});
