import { type ApiError, badRequest, missingPermission } from "../../lib/errors";
import { type KeyKind, type Permission, ROLE_PERMISSIONS, type Role } from "./permissions";

export type KeyCaller = {
  type: "key";
  keyId: string;
  kind: KeyKind;
  teamId: string;
  appId: string | null;
  permissions: readonly Permission[];
  /** The key's own ingest quota (null: none). */
  eventsPerMinute: number | null;
};

export type UserCaller = {
  type: "user";
  userId: string;
  email: string;
  name: string;
  /** team id → role, for every team the user belongs to. */
  roles: ReadonlyMap<string, Role>;
};

/** Who is making a request: an API key or a signed-in user. */
export type Caller = KeyCaller | UserCaller;

/** The caller's permissions in one team, or null when the team is not the caller's. */
export function permissionsIn(caller: Caller, teamId: string): readonly Permission[] | null {
  if (caller.type === "key") return caller.teamId === teamId ? caller.permissions : null;
  const role = caller.roles.get(teamId);
  return role ? ROLE_PERMISSIONS[role] : null;
}

/**
 * Allows the call when the caller holds `permission` in `teamId`. Outside the team it throws the
 * resource's own not-found error, so the answer never reveals that another team's object exists.
 */
export function authorize(
  caller: Caller,
  teamId: string,
  permission: Permission,
  hidden: () => ApiError,
): void {
  const held = permissionsIn(caller, teamId);
  if (held === null) throw hidden();
  if (!held.includes(permission)) throw missingPermission(permission);
}

/** The teams in which the caller holds `permission`. */
export function teamsWith(caller: Caller, permission: Permission): string[] {
  if (caller.type === "key") return caller.permissions.includes(permission) ? [caller.teamId] : [];
  return [...caller.roles]
    .filter(([, role]) => ROLE_PERMISSIONS[role].includes(permission))
    .map(([id]) => id);
}

/** Whether the caller could hold `permission` anywhere: the route-level check. */
export function mayHold(caller: Caller, permission: Permission): boolean {
  if (caller.type === "key") return caller.permissions.includes(permission);
  // A user's permission depends on the team; the service checks it against the object's team.
  return permission !== "events:write";
}

/** The team a create means when the body names none: the calling key's team, or the user's only team. */
export function defaultTeam(caller: Caller): string {
  if (caller.type === "key") return caller.teamId;
  const teams = [...caller.roles.keys()];
  if (teams.length === 1 && teams[0]) return teams[0];
  throw badRequest("team_id is required: you belong to more than one team (or none)");
}

/** A stable name for the caller (its key or its user), for per-caller limits. */
export const callerId = (caller: Caller): string =>
  caller.type === "key" ? `key:${caller.keyId}` : `user:${caller.userId}`;
