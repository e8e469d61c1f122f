/** Every error the API answers: `{ error, message, details? }` with a 4xx (or 5xx for upstream trouble). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toBody(): { error: string; message: string; details?: unknown } {
    return {
      error: this.error,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
