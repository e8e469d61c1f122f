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

export const CredentialsRequestBody = z.object({
  pull_id: z.string().min(1).max(200),
  auth_uri: z.string().max(8192).optional(),
});
