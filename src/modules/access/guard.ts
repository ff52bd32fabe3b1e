import { Elysia } from "elysia";
import { ApiError, badRequest, forbidden, missingPermission } from "../../lib/errors";
import type { Limiter } from "../../lib/rate-limit";
import { type Caller, callerId, type KeyCaller, mayHold, type UserCaller } from "./caller";
import type { KeyKind, Permission } from "./permissions";

/** Whatever turns an `Authorization` header into a caller (the auth module's service), or throws 401. */
export interface Identifier {
  identify(authorization: string | null): Promise<Caller>;
}

/** A per-caller request limit a route can declare, and how its refusals read. */
export interface RateLimit {
  limiter: Limiter;
  /** The 429's message, in the words of the route's API family. */
  message: string;
  /** Whether every answer carries the bucket's state (x-ratelimit-limit, x-ratelimit-remaining). */
  headers: boolean;
}

/** The named limits routes declare with `rateLimit: "<name>"`. */
export type RateLimits = Record<"events" | "stats" | "sdk", RateLimit>;

/**
 * The auth macros every route declares in one line: `{ permission: "org:read" }`, `{ signedIn: true }`
 * or `{ userSession: true }`. Credentials are checked in `transform`, before the body and query are
 * validated, so a caller without credentials learns nothing about the route's input rules.
 * `{ rateLimit: "events" }` takes one token of the caller's bucket once the input is valid.
 */
export function authGuard(auth: Identifier, limits: RateLimits) {
  const callers = new WeakMap<Request, Promise<Caller>>();
  const identify = (request: Request): Promise<Caller> => {
    let caller = callers.get(request);
    if (!caller) {
      caller = auth.identify(request.headers.get("authorization"));
      callers.set(request, caller);
    }
    return caller;
  };

  return new Elysia({ name: "roost-auth" }).macro({
    permission: (permission: Permission) => ({
      async transform({ request }) {
        if (!mayHold(await identify(request), permission)) throw missingPermission(permission);
      },
      resolve: async ({ request }) => ({ caller: await identify(request) }),
    }),
    signedIn: (_: true) => ({
      async transform({ request }) {
        await identify(request);
      },
      resolve: async ({ request }) => ({ caller: await identify(request) }),
    }),
    /** The write path: a key scoped to one app, of this kind, holding `events:write`. */
    ingestKey: (kind: KeyKind) => ({
      async transform({ request }) {
        const caller = await identify(request);
        if (caller.type !== "key") throw badRequest("API key must be scoped to an app");
        if (!caller.permissions.includes("events:write")) throw missingPermission("events:write");
        if (caller.kind !== kind) throw forbidden(`This endpoint takes a ${kind} key (owl_${kind}_…)`);
      },
      resolve: async ({ request }) => ({ caller: (await identify(request)) as KeyCaller }),
    }),
    /**
     * Owlmetry's identity and feedback writes: a key of an app (client or import) holding
     * `events:write`; users and team-wide keys are refused in Owlmetry's words.
     */
    appKey: (_: true) => ({
      async transform({ request }) {
        const caller = await identify(request);
        if (caller.type === "key" && !caller.permissions.includes("events:write")) {
          throw missingPermission("events:write");
        }
        if (caller.type !== "key" || !caller.appId) throw badRequest("Client key must be scoped to an app");
      },
      resolve: async ({ request }) => ({ caller: (await identify(request)) as KeyCaller }),
    }),
    rateLimit: (name: keyof RateLimits) => ({
      async beforeHandle({ request, set }) {
        const { limiter, message, headers } = limits[name];
        const taken = await limiter.take(callerId(await identify(request)));
        if (headers) {
          set.headers["x-ratelimit-limit"] = String(limiter.burst);
          set.headers["x-ratelimit-remaining"] = String(taken.ok ? taken.remaining : 0);
        }
        if (!taken.ok) throw new ApiError(429, message, {}, { "retry-after": String(taken.retryAfter) });
      },
    }),
    userSession: (_: true) => ({
      async transform({ request }) {
        if ((await identify(request)).type !== "user") {
          throw forbidden("This needs a signed-in user (a token from POST /v1/auth/login), not an API key");
        }
      },
      resolve: async ({ request }) => ({ caller: (await identify(request)) as UserCaller }),
    }),
  });
}

export type AuthGuard = ReturnType<typeof authGuard>;
