import { z } from 'zod';

/** An answer that does not match the schema its route declares (raised only with `checkResponses`, see zod-replies.ts). */
export class ResponseContractError extends Error {
  constructor(method: string, url: string, status: string, error: z.ZodError) {
    super(`the ${status} answer of ${method} ${url} does not match its declared schema: ${z.prettifyError(error)}`);
    this.name = 'ResponseContractError';
  }
}
