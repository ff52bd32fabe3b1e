import { ApiError } from "../../lib/errors";
import { TtlCache } from "../../lib/ttl-cache";
import type { Platform } from "../../lib/vocab";
import type { Database } from "../../store/db";
import type { KeyCaller } from "../access/caller";
import { findProject } from "../projects/repository";
import { type ProjectView, presentProject } from "../projects/service";
import { findApp } from "./repository";

/** What a writing feature needs to know about the app a client key sends to. */
export interface AppContext {
  appId: string;
  platform: Platform;
  bundleId: string | null;
  project: ProjectView;
}

/**
 * The app and project of a client key, cached briefly: every ingest request and upload needs them,
 * and few requests change them (`forget` after any change to projects, apps or keys).
 */
export class AppContexts {
  private readonly contexts = new TtlCache<string, AppContext | null>(10_000);

  constructor(private readonly store: Database) {}

  forget(): void {
    this.contexts.clear();
  }

  /** The key's app and project, or 401 when either is gone. */
  async of(caller: KeyCaller): Promise<AppContext> {
    const appId = caller.appId as string;
    const ctx = await this.contexts.get(appId, async () => {
      const app = await findApp(this.store, appId);
      const project = app ? await findProject(this.store, app.project_id) : null;
      if (!app || !project) return null;
      return { appId, platform: app.platform, bundleId: app.bundle_id, project: presentProject(project) };
    });
    if (!ctx) throw new ApiError(401, "Invalid API key");
    return ctx;
  }
}
