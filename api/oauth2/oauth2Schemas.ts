import { z } from 'zod';

export const VALIDITY_MIN = 300;
export const VALIDITY_MAX = 43200;

const boundsMessage = `validity_duration must be an integer number of seconds between ${VALIDITY_MIN} and ${VALIDITY_MAX}`;

export const NewOAuth2RequestBody = z.object({
  datasource_id: z.string().min(1).max(100),
  validity_duration: z
    .number({ error: boundsMessage })
    .int({ error: boundsMessage })
    .min(VALIDITY_MIN, { error: boundsMessage })
    .max(VALIDITY_MAX, { error: boundsMessage }),
  connection_name: z.string().trim().min(1).max(200).optional(),
  redirect_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  scopes: z.array(z.string().min(1).max(200)).min(1).max(50).optional(),
});

/** A new authorization request as its client gets it (POST /api/oauth2, POST .../reauthorize). */
export const IssuedRequest = z.object({ pull_id: z.string(), auth_uri: z.string(), expires_at: z.string() });

/** The Rivery shape of an issued request: the pull_id the API minted, the auth_uri the workflow built. */
export const issuedRequestView = (issued: { pullId: string; authUri: string; expiresAt: string }) => ({
  pull_id: issued.pullId,
  auth_uri: issued.authUri,
  expires_at: issued.expiresAt,
});

export const CredentialsRequestBody = z.object({
  pull_id: z.string().min(1).max(200),
  auth_uri: z.string().max(8192).optional(),
});
