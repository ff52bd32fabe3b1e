import { badRequest, conflict } from "../../lib/errors";
import type { Database, SharedWriter } from "../../store/db";
import type { KeyCaller } from "../access/caller";
import type { AppContexts } from "../apps/context";
import type { ClaimEvents } from "./claim-events";
import { ANONYMOUS_ID_PREFIX, type IdentityClaims, isAnonymousId } from "./claims";
import type { ClaimBody, PropertiesBody } from "./model";
import { saveProperties, userProperties } from "./repository";

/** Owlmetry's limits on user properties and ids. */
const MAX_PROPERTY_KEY_LENGTH = 50;
const MAX_PROPERTY_VALUE_LENGTH = 200;
const MAX_PROPERTIES = 50;
const MAX_USER_ID_LENGTH = 255;

/** Owlmetry's identity calls: claiming an anonymous id for a user, and user properties. */
export class IdentityService {
  constructor(
    private readonly store: Database,
    private readonly writer: SharedWriter,
    private readonly claims: IdentityClaims,
    private readonly contexts: AppContexts,
    private readonly events: ClaimEvents,
  ) {}

  /**
   * From now on the key's project treats the anonymous id as the user (decision 010). Idempotent;
   * an anonymous id already claimed by another user is a 409 (the first claim holds).
   */
  async claim(caller: KeyCaller, body: typeof ClaimBody.static, now = new Date()) {
    const { anonymous_id: anonymousId, user_id: userId } = body;
    if (!isAnonymousId(anonymousId)) {
      throw badRequest(`anonymous_id must start with "${ANONYMOUS_ID_PREFIX}"`);
    }
    if (isAnonymousId(userId)) throw badRequest("user_id must not start with anonymous prefix");
    checkUserId(userId);
    const { project, appId } = await this.contexts.of(caller);
    const claim = { projectId: project.id, anonymousId, userId };
    const reassigned = await this.writer.run(async (tx) => {
      const holder = this.claims.claimant(project.id, anonymousId);
      if (holder === userId) return async () => 0;
      if (holder !== undefined) {
        throw conflict("anonymous_id is already claimed by another user_id in this project");
      }
      const n = await this.events.count(tx, project.id, anonymousId);
      return async (tx) => {
        await this.events.record(tx, claim, appId, now);
        // Inside the transaction: what the commit stores after this already resolves it.
        this.claims.add(claim);
        return n;
      };
    });
    return { claimed: true as const, events_reassigned_count: reassigned };
  }

  /** Merges string properties into the user's ("" deletes one), within Owlmetry's limits. */
  async setProperties(caller: KeyCaller, body: typeof PropertiesBody.static, now = new Date()) {
    const { properties } = body;
    if (properties === null || typeof properties !== "object" || Array.isArray(properties)) {
      throw badRequest("properties must be an object");
    }
    checkUserId(body.user_id);
    const set: Record<string, string> = {};
    const unset: string[] = [];
    for (const [key, value] of Object.entries(properties)) {
      if (key.length === 0) throw badRequest("Property keys must be non-empty strings");
      if (key.length > MAX_PROPERTY_KEY_LENGTH) {
        throw badRequest(`Property key "${key}" exceeds max length of ${MAX_PROPERTY_KEY_LENGTH}`);
      }
      if (typeof value !== "string") throw badRequest(`Property value for "${key}" must be a string`);
      if (value.length > MAX_PROPERTY_VALUE_LENGTH) {
        throw badRequest(`Property value for "${key}" exceeds max length of ${MAX_PROPERTY_VALUE_LENGTH}`);
      }
      if (value === "") unset.push(key);
      else set[key] = value;
    }
    const { project } = await this.contexts.of(caller);
    const merged = await this.mergeProperties(project.id, body.user_id, set, unset, now);
    return { updated: true as const, properties: merged };
  }

  /**
   * Sets and deletes properties of a project's user (a claimed anonymous id's are its user's);
   * the whole map after. Over MAX_PROPERTIES it refuses before writing (Owlmetry writes, then
   * refuses), unless `capped` is false (the server's own properties, as a questionnaire dismissal).
   */
  async mergeProperties(
    projectId: string,
    anyUserId: string,
    set: Record<string, string>,
    unset: readonly string[] = [],
    now = new Date(),
    capped = true,
  ): Promise<Record<string, string>> {
    return this.writer.run(async (tx) => {
      const userId = this.claims.resolve(projectId, anyUserId);
      const stored = await userProperties(tx, projectId, userId);
      const next: Record<string, string> = { ...(stored.properties ?? {}), ...set };
      for (const key of unset) delete next[key];
      if (capped && Object.keys(next).length > MAX_PROPERTIES) {
        throw badRequest(`Total properties count exceeds max of ${MAX_PROPERTIES}`);
      }
      const changed = Object.keys(set).length > 0 || (stored.exists && unset.length > 0);
      return async (tx) => {
        if (changed) await saveProperties(tx, projectId, userId, next, stored.exists, now);
        return next;
      };
    });
  }

  /** A project user's properties (a claimed anonymous id's are its user's); null when none. */
  async propertiesOf(projectId: string, anyUserId: string): Promise<Record<string, string> | null> {
    const userId = this.claims.resolve(projectId, anyUserId);
    return (await this.store.snapshot((tx) => userProperties(tx, projectId, userId))).properties;
  }

  /** The user an id stands for in a project (its claimant, for a claimed anonymous id). */
  resolve(projectId: string, userId: string): string {
    return this.claims.resolve(projectId, userId);
  }
}

function checkUserId(userId: string): void {
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw badRequest(`user_id must be at most ${MAX_USER_ID_LENGTH} characters`);
  }
}
