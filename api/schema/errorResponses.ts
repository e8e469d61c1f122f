import { z } from 'zod';

/** Every error body, `{ error, message, details? }`; loose so nothing the error handler sends is dropped. */
export const ErrorBody = z.looseObject({ error: z.string(), message: z.string(), details: z.unknown().optional() });

/** Response schemas for a route's error statuses, each described in the OpenAPI document. */
export function errorResponses<const C extends number>(codes: Record<C, string>): Record<C, typeof ErrorBody> {
  return Object.fromEntries(
    Object.entries(codes).map(([code, description]) => [code, ErrorBody.describe(description as string)]),
  ) as Record<C, typeof ErrorBody>;
}

/** A response with no body (204, 302), described in the OpenAPI document. */
export const noBody = (description: string) => z.undefined().describe(description);
