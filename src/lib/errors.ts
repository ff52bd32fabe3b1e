/**
 * The one error type handlers throw. The `onError` hook (src/lib/error-handler.ts) renders it as
 * `{"error"}` under /v1 and `{"detail"}` under /api/0, so handlers never build error bodies.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const unauthorized = (message = "Missing or invalid credentials") => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const missingPermission = (permission: string) => forbidden(`Missing permission: ${permission}`);
