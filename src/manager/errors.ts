// Errors that services throw to say "the client asked for something wrong"; the HTTP layer
// turns them into Flamenco's Error JSON `{code, message}` with the status given here.
import type { ClientErrorStatusCode } from "hono/utils/http-status";

export class ApiError extends Error {
  constructor(
    readonly status: ClientErrorStatusCode | 503,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
