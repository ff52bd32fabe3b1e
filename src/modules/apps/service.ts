import { dsnOf, sentryInitSnippet } from "../../lib/dsn";
import { badRequest, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { isoRequired } from "../../lib/time";
import type { Database, Tx } from "../../store/db";
import { authorize, type Caller, teamsWith } from "../access/caller";
import { type CreatedKeyView, createKeyIn } from "../keys/service";
import { findProject } from "../projects/repository";
import { projectNotFound } from "../projects/service";
import type { App, CreateAppBody, CreatedApp, PatchAppBody, Platform } from "./model";
import { type AppRow, findApp, insertApp, listApps, softDeleteApp, updateApp } from "./repository";

export type AppView = typeof App.static;
export type CreatedAppView = typeof CreatedApp.static;
export const appNotFound = () => notFound("App not found");

export function presentApp(row: AppRow): AppView {
  return {
    id: row.id,
    project_id: row.project_id,
    team_id: row.team_id,
    name: row.name,
    platform: row.platform,
    bundle_id: row.bundle_id,
    created_at: isoRequired(row.created_at),
    updated_at: isoRequired(row.updated_at),
  };
}

/** Every platform but backend ships inside a bundle the SDK names on each ingest. */
function checkBundleId(platform: Platform, bundleId: string | null | undefined): string | null {
  if (platform !== "backend" && !bundleId) throw badRequest(`bundle_id is required for ${platform} apps`);
  return bundleId ?? null;
}

/** Creates an app and its first client key inside the caller's transaction. */
export async function createAppIn(
  tx: Tx,
  input: { projectId: string; teamId: string; name: string; platform: Platform; bundleId: string | null },
  createdBy: string | null,
): Promise<{ app: AppRow; clientKey: CreatedKeyView }> {
  const id = newId();
  await insertApp(tx, id, input.projectId, {
    name: input.name,
    platform: input.platform,
    bundleId: checkBundleId(input.platform, input.bundleId),
  });
  const clientKey = await createKeyIn(tx, {
    kind: "client",
    name: `${input.name} client key`,
    teamId: input.teamId,
    appId: id,
    createdBy,
  });
  const app = await findApp(tx, id);
  if (!app) throw new Error(`app ${id} vanished inside its own transaction`);
  return { app, clientKey };
}

export class AppsService {
  constructor(
    private readonly store: Database,
    /** Called after a change that cached lookups (keys, ingest contexts) must see. */
    private readonly changed: () => void,
  ) {}

  async list(caller: Caller, query: { project_id?: string }): Promise<AppView[]> {
    return (await listApps(this.store, teamsWith(caller, "org:read"), query.project_id ?? null)).map(
      presentApp,
    );
  }

  async get(caller: Caller, id: string): Promise<AppView> {
    const row = await findApp(this.store, id);
    if (!row) throw appNotFound();
    authorize(caller, row.team_id, "org:read", appNotFound);
    return presentApp(row);
  }

  /** `publicBase`: the server's address as SDKs reach it, for the key's DSN. */
  async create(caller: Caller, body: CreateAppBody, publicBase: string): Promise<CreatedAppView> {
    const { app, clientKey, sentryId } = await this.store.write(async (tx) => {
      const project = await findProject(tx, body.project_id);
      if (!project) throw projectNotFound();
      authorize(caller, project.team_id, "org:write", projectNotFound);
      const created = await createAppIn(
        tx,
        {
          projectId: project.id,
          teamId: project.team_id,
          name: body.name,
          platform: body.platform,
          bundleId: body.bundle_id ?? null,
        },
        caller.type === "user" ? caller.userId : null,
      );
      return { ...created, sentryId: project.sentry_id };
    });
    this.changed(); // a new app is visible at once, not when a cached app list expires
    const dsn = dsnOf(publicBase, clientKey.secret, sentryId);
    return { ...presentApp(app), client_key: { ...clientKey, dsn, sentry_init: sentryInitSnippet(dsn) } };
  }

  /** Name and bundle_id can change; the platform is fixed, since stored events were checked against it. */
  async update(caller: Caller, id: string, body: PatchAppBody): Promise<AppView> {
    const row = await this.store.write(async (tx) => {
      const current = await findApp(tx, id);
      if (!current) throw appNotFound();
      authorize(caller, current.team_id, "org:write", appNotFound);
      const bundleId = body.bundle_id === undefined ? current.bundle_id : body.bundle_id;
      await updateApp(tx, id, {
        name: body.name ?? current.name,
        platform: current.platform,
        bundleId: checkBundleId(current.platform, bundleId),
      });
      return findApp(tx, id);
    });
    this.changed();
    if (!row) throw appNotFound();
    return presentApp(row);
  }

  /** Soft delete: the app's events vanish from queries and its keys stop working at once. */
  async remove(caller: Caller, id: string): Promise<{ id: string; deleted: true }> {
    await this.store.write(async (tx) => {
      const current = await findApp(tx, id);
      if (!current) throw appNotFound();
      authorize(caller, current.team_id, "org:admin", appNotFound);
      await softDeleteApp(tx, id);
    });
    this.changed();
    return { id, deleted: true };
  }
}
