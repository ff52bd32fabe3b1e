import { Elysia } from "elysia";
import { badRequest, forbidden, missingPermission } from "../../lib/errors";
import { type Caller, type KeyCaller, mayHold, type UserCaller } from "./caller";
import type { KeyKind, Permission } from "./permissions";

/** Whatever turns an `Authorization` header into a caller (the auth module's service), or throws 401. */
export interface Identifier {
  identify(authorization: string | null): Promise<Caller>;
}

/**
 * The auth macros every route declares in one line: `{ permission: "org:read" }`, `{ signedIn: true }`
 * or `{ userSession: true }`. Credentials are checked in `transform`, before the body and query are
 * validated, so a caller without credentials learns nothing about the route's input rules.
 */
export function authGuard(auth: Identifier) {
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
