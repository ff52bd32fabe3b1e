import { conflict, notFound } from "../../lib/errors";
import { isUuid, newId } from "../../lib/ids";
import type { Database, SharedWriter, Tx } from "../../store/db";
import type { Caller } from "../access/caller";
import type { Permission } from "../access/permissions";
import { projectFor } from "../projects/scope";
import {
  type DefinitionRow,
  type DefinitionTable,
  definitionById,
  definitionBySlug,
  definitionsOf,
  saveDefinition,
} from "./repository";

/** What a service sets: the name, description and the table's own columns. */
type Own = { name: string; description: string | null; [column: string]: unknown };

/**
 * Owlmetry's metric and funnel definitions share their life: per project by slug, a live slug is
 * a 409 and a deleted one comes back (its id kept), deleting keeps the row, and another team's
 * definition by id is as missing as one that never was. Each service gives its table, its
 * permissions and messages.
 */
export class Definitions {
  constructor(
    private readonly store: Database,
    private readonly writer: SharedWriter,
    private readonly table: DefinitionTable,
    private readonly rules: { read: Permission; write: Permission; missing: string; taken: string },
  ) {}

  async list(caller: Caller, projectId: string): Promise<DefinitionRow[]> {
    const project = await projectFor(this.store, caller, projectId, this.rules.read);
    return this.store.snapshot((tx) => definitionsOf(tx, this.table, [project.id]));
  }

  async get(caller: Caller, projectId: string, slug: string): Promise<DefinitionRow> {
    const project = await projectFor(this.store, caller, projectId, this.rules.read);
    return this.store.snapshot((tx) => this.live(tx, project.id, slug));
  }

  async byId(caller: Caller, id: string): Promise<DefinitionRow> {
    const row = isUuid(id)
      ? await this.store.snapshot((tx) => definitionById(tx, this.table, id.toLowerCase()))
      : null;
    if (!row) throw notFound(this.rules.missing);
    await projectFor(this.store, caller, row.project_id, this.rules.read).catch(() => {
      throw notFound(this.rules.missing);
    });
    return row;
  }

  async create(caller: Caller, projectId: string, slug: string, fields: Own): Promise<DefinitionRow> {
    const project = await projectFor(this.store, caller, projectId, this.rules.write);
    return this.writer.run(async (tx) => {
      const existing = await definitionBySlug(tx, this.table, project.id, slug, true);
      if (existing && existing.deleted_at === null) throw conflict(this.rules.taken);
      const now = new Date();
      const row: DefinitionRow = {
        ...fields,
        id: existing?.id ?? newId(),
        project_id: project.id,
        slug,
        created_at: existing?.created_at ?? now,
        updated_at: now,
        deleted_at: null,
      };
      return async (tx) => {
        await saveDefinition(tx, this.table, row);
        return row;
      };
    });
  }

  /** Writes the fields `change` gives over the live definition. */
  async update(
    caller: Caller,
    projectId: string,
    slug: string,
    change: (row: DefinitionRow) => Partial<Own>,
  ): Promise<DefinitionRow> {
    const project = await projectFor(this.store, caller, projectId, this.rules.write);
    return this.writer.run(async (tx) => {
      const old = await this.live(tx, project.id, slug);
      const row: DefinitionRow = { ...old, ...change(old), updated_at: new Date() };
      return async (tx) => {
        await saveDefinition(tx, this.table, row);
        return row;
      };
    });
  }

  async remove(caller: Caller, projectId: string, slug: string): Promise<{ deleted: true }> {
    const project = await projectFor(this.store, caller, projectId, this.rules.write);
    await this.writer.run(async (tx) => {
      const row = { ...(await this.live(tx, project.id, slug)), deleted_at: new Date() };
      return (tx) => saveDefinition(tx, this.table, row);
    });
    return { deleted: true };
  }

  /** The live definition with the slug, else the family's 404. */
  async live(tx: Tx, projectId: string, slug: string): Promise<DefinitionRow> {
    const row = await definitionBySlug(tx, this.table, projectId, slug);
    if (!row) throw notFound(this.rules.missing);
    return row;
  }
}
