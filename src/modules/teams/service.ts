import { conflict, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { firstFreeSlug, slugify } from "../../lib/slug";
import { isoRequired } from "../../lib/time";
import type { Database, Tx } from "../../store/db";
import { authorize, type Caller, teamsWith, type UserCaller } from "../access/caller";
import type { Role } from "../access/permissions";
import { findMembership, insertMembership } from "../users/repository";
import { findOrCreateUser, publicUser } from "../users/service";
import type { Team } from "./model";
import {
  findTeam,
  findTeamBySlug,
  insertTeam,
  listTeams,
  slugsStartingWith,
  type TeamRow,
} from "./repository";

export type TeamView = typeof Team.static;
const teamNotFound = () => notFound("Team not found");

function presentTeam(row: TeamRow, caller: Caller): TeamView {
  const role = caller.type === "user" ? caller.roles.get(row.id) : undefined;
  return { id: row.id, name: row.name, slug: row.slug, created_at: isoRequired(row.created_at), role };
}

/** Creates a team inside the caller's transaction; `slug` defaults to one derived from the name. */
export async function createTeamIn(tx: Tx, name: string, slug: string | undefined): Promise<TeamRow> {
  if (slug && (await findTeamBySlug(tx, slug))) throw conflict(`A team with slug '${slug}' already exists`);
  let finalSlug = slug;
  if (!finalSlug) {
    const base = slugify(name, "team");
    const taken = new Set(await slugsStartingWith(tx, base));
    finalSlug = firstFreeSlug(base, (s) => taken.has(s));
  }
  const id = newId();
  await insertTeam(tx, { id, name, slug: finalSlug });
  const row = await findTeam(tx, id);
  if (!row) throw new Error(`team ${id} vanished inside its own transaction`);
  return row;
}

export class TeamsService {
  constructor(private readonly store: Database) {}

  async list(caller: Caller): Promise<TeamView[]> {
    return (await listTeams(this.store, teamsWith(caller, "org:read"))).map((r) => presentTeam(r, caller));
  }

  async get(caller: Caller, id: string): Promise<TeamView> {
    const row = await findTeam(this.store, id);
    if (!row) throw teamNotFound();
    authorize(caller, row.id, "org:read", teamNotFound);
    return presentTeam(row, caller);
  }

  async create(caller: UserCaller, body: { name: string; slug?: string }): Promise<TeamView> {
    const row = await this.store.write(async (tx) => {
      const team = await createTeamIn(tx, body.name, body.slug);
      await insertMembership(tx, team.id, caller.userId, "owner");
      return team;
    });
    return presentTeam(row, { ...caller, roles: new Map([...caller.roles, [row.id, "owner"]]) });
  }

  async addMember(
    caller: Caller,
    teamId: string,
    body: { email: string; name?: string; password?: string; role: Role },
  ) {
    return this.store.write(async (tx) => {
      const team = await findTeam(tx, teamId);
      if (!team) throw teamNotFound();
      authorize(caller, team.id, "org:admin", teamNotFound);
      // Only an owner makes owners, so an admin cannot raise anyone above themselves.
      if (body.role === "owner" && caller.type === "user" && caller.roles.get(team.id) !== "owner") {
        throw forbidden("Only an owner can add another owner");
      }
      const { user, created } = await findOrCreateUser(tx, body);
      if (await findMembership(tx, team.id, user.id)) {
        throw conflict(`${user.email} is already a member of this team`);
      }
      await insertMembership(tx, team.id, user.id, body.role);
      return { team_id: team.id, role: body.role, user: publicUser(user), created };
    });
  }
}
