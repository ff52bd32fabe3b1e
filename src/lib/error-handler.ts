import { Elysia, type ValidationError } from "elysia";
import { ApiError } from "./errors";
import type { Logger } from "./log";

/**
 * The one place errors become responses: `{"error"}` under /v1 (Owlmetry's contract) and
 * `{"detail"}` under /api (Sentry's). Registered before every route; bad input is a 4xx here,
 * and only an unexpected error is a 500.
 */
export function errorHandler(log: Logger) {
  return new Elysia({ name: "roost-errors" }).onError({ as: "global" }, ({ code, error, request, set }) => {
    // Sentry's paths: the web API under /api/0/ and the SDKs' /api/<project>/envelope/ and store/.
    const sentryFamily = new URL(request.url).pathname.startsWith("/api/");
    const render = (status: number, message: string, extra: Record<string, unknown> = {}) => {
      set.status = status;
      return sentryFamily ? { detail: message } : { error: message, ...extra };
    };
    if (error instanceof ApiError) {
      Object.assign(set.headers, error.headers);
      return render(error.status, error.message, error.extra);
    }
    switch (code) {
      case "VALIDATION":
        return render(400, validationMessage(error));
      case "PARSE":
        return render(400, "The request body is not valid JSON");
      case "NOT_FOUND":
        return render(404, "Not found");
    }
    log.error("unhandled error", {
      method: request.method,
      path: new URL(request.url).pathname,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return render(500, "Internal server error");
  });
}

/** A message that names the field and says what it must be. */
export function validationMessage(error: Readonly<ValidationError>): string {
  const first = error.all[0] as { path?: string; message?: string; schema?: { error?: unknown } } | undefined;
  const field = (first?.path ?? "").replace(/^\//, "").replaceAll("/", ".");
  if (!field) {
    return error.type === "body" ? "The request body must be a JSON object" : `Invalid ${error.type}`;
  }
  if (valueAt(error.value, first?.path ?? "") === undefined) return `${field} is required`;
  const custom = first?.schema?.error;
  if (typeof custom === "string") return custom.startsWith("must ") ? `${field} ${custom}` : custom;
  return `${field}: ${humanize(first?.message ?? "is invalid")}`;
}

function humanize(message: string): string {
  if (/'uuid' format/.test(message)) return "must be a UUID";
  if (/'email' format/.test(message)) return "must be an email address";
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function valueAt(root: unknown, path: string): unknown {
  let value = root;
  for (const part of path.split("/").filter(Boolean)) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
