import type { Config } from "./config";
import { createAppIn } from "./modules/apps/service";
import { createKeyIn } from "./modules/keys/service";
import { createProjectIn } from "./modules/projects/service";
import { createTeamIn } from "./modules/teams/service";
import { countUsers, insertMembership } from "./modules/users/repository";
import { findOrCreateUser } from "./modules/users/service";
import type { Database } from "./store/db";

export const DEFAULT_ADMIN_EMAIL = "admin@localhost";

export interface FirstRun {
  teamSlug: string;
  email: string;
  /** Null when the password came from ROOST_ADMIN_PASSWORD: the operator knows it already. */
  password: string | null;
  clientKey: string;
  agentKey: string;
  appId: string;
}

/**
 * On an empty data directory, sets up a ready team: team and project `default`, an owner, a backend
 * app `default`, a client key and an agent key, all in one transaction. Returns null when the
 * directory already has users, so a restart creates and prints nothing.
 */
export async function firstRun(store: Database, config: Config): Promise<FirstRun | null> {
  return store.write(async (tx) => {
    if ((await countUsers(tx)) > 0) return null;
    const generated = config.adminPassword
      ? null
      : Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("base64url");
    const { user } = await findOrCreateUser(tx, {
      email: DEFAULT_ADMIN_EMAIL,
      name: "Admin",
      password: config.adminPassword ?? generated ?? "",
    });
    const team = await createTeamIn(tx, "Default", "default");
    await insertMembership(tx, team.id, user.id, "owner");
    const project = await createProjectIn(tx, team.id, { name: "Default", slug: "default" });
    const { app, clientKey } = await createAppIn(
      tx,
      { projectId: project.id, teamId: team.id, name: "default", platform: "backend", bundleId: null },
      user.id,
    );
    const agentKey = await createKeyIn(tx, {
      kind: "agent",
      name: "default agent key",
      teamId: team.id,
      appId: null,
      createdBy: user.id,
    });
    return {
      teamSlug: team.slug,
      email: user.email,
      password: generated,
      clientKey: clientKey.secret,
      agentKey: agentKey.secret,
      appId: app.id,
    };
  });
}

/** The once-only message with the credentials and commands to try. */
export function firstRunMessage(run: FirstRun, baseUrl: string): string {
  const event = JSON.stringify({
    events: [
      {
        client_event_id: crypto.randomUUID(),
        session_id: crypto.randomUUID(),
        level: "info",
        message: "hello from curl",
        environment: "backend",
      },
    ],
  });
  return [
    "",
    "Roost is set up. Save these now: secrets are shown only this once.",
    "",
    `  team            ${run.teamSlug}`,
    `  owner           ${run.email}`,
    `  password        ${run.password ?? "(from ROOST_ADMIN_PASSWORD)"}`,
    `  client key      ${run.clientKey}   (app "default": SDKs send events with it)`,
    `  agent key       ${run.agentKey}   (reads events and team info)`,
    "",
    "Check the agent key:",
    `  curl -H "Authorization: Bearer ${run.agentKey}" ${baseUrl}/v1/auth/me`,
    "Send an event:",
    `  curl -X POST ${baseUrl}/v1/ingest -H "Authorization: Bearer ${run.clientKey}" -H "Content-Type: application/json" -d '${event}'`,
    "Read it back:",
    `  curl -H "Authorization: Bearer ${run.agentKey}" "${baseUrl}/v1/events?limit=10"`,
    "",
  ].join("\n");
}
