import type { ColumnKind, Param, Tx, WriteTx } from "../../store/db";
import { eventsSource } from "../../store/events-source";
import type { MetricRow, SourceEvent, StepRow } from "./derive";

type Getter<R> = readonly [ColumnKind, (row: R) => string | number | boolean | null];

/** `metric_events` in table order. */
const METRIC_COLUMNS: ReadonlyArray<Getter<MetricRow>> = [
  ["text", (r) => r.event.id],
  ["text", (r) => r.event.projectId],
  ["text", (r) => r.event.appId],
  ["text", (r) => r.event.clientEventId],
  ["text", (r) => r.event.sessionId],
  ["text", (r) => r.event.userId],
  ["text", (r) => r.event.apiKeyId],
  ["text", (r) => r.slug],
  ["text", (r) => r.phase],
  ["text", (r) => r.trackingId],
  ["f64", (r) => r.durationMs],
  ["text", (r) => r.error],
  ["text", (r) => r.event.customAttributes],
  ["text", (r) => r.event.experiments],
  ["text", (r) => r.event.environment],
  ["text", (r) => r.event.osVersion],
  ["text", (r) => r.event.appVersion],
  ["text", (r) => r.event.deviceModel],
  ["text", (r) => r.event.buildNumber],
  ["text", (r) => r.event.countryCode],
  ["bool", (r) => r.event.isDev],
  ["micros", (r) => r.event.timestamp * 1000],
  ["micros", (r) => r.event.receivedAt * 1000],
];

/** `funnel_events` in table order. */
const STEP_COLUMNS: ReadonlyArray<Getter<StepRow>> = [
  ["text", (r) => r.event.id],
  ["text", (r) => r.event.projectId],
  ["text", (r) => r.event.appId],
  ["text", (r) => r.event.clientEventId],
  ["text", (r) => r.event.sessionId],
  ["text", (r) => r.event.userId],
  ["text", (r) => r.stepName],
  ["text", (r) => r.event.screenName],
  ["text", (r) => r.event.customAttributes],
  ["text", (r) => r.event.experiments],
  ["text", (r) => r.event.environment],
  ["text", (r) => r.event.appVersion],
  ["bool", (r) => r.event.isDev],
  ["micros", (r) => r.event.timestamp * 1000],
];

async function appendRows<R>(tx: WriteTx, table: string, columns: ReadonlyArray<Getter<R>>, rows: R[]) {
  if (rows.length === 0) return;
  await tx.append(
    table,
    columns.map(([kind]) => kind),
    columns.map(([, get]) => rows.map(get)),
  );
}

export const appendMetricRows = (tx: WriteTx, rows: MetricRow[]) =>
  appendRows(tx, "metric_events", METRIC_COLUMNS, rows);

export const appendStepRows = (tx: WriteTx, rows: StepRow[]) =>
  appendRows(tx, "funnel_events", STEP_COLUMNS, rows);

/** Drops the derived rows of events an import replaces (their new copies are derived afresh). */
export async function deleteDerivedOf(
  tx: WriteTx,
  events: ReadonlyArray<Pick<SourceEvent, "appId" | "clientEventId">>,
) {
  const byApp = new Map<string, string[]>();
  for (const e of events) byApp.set(e.appId, [...(byApp.get(e.appId) ?? []), e.clientEventId]);
  for (const [appId, ids] of byApp) {
    for (const table of ["metric_events", "funnel_events"]) {
      await tx.run(
        `DELETE FROM ${table} WHERE app_id = ?::UUID AND client_event_id IN (SELECT unnest(?::JSON::VARCHAR[]))`,
        [appId, ids],
      );
    }
  }
}

export async function clearDerived(tx: WriteTx): Promise<void> {
  await tx.run("DELETE FROM metric_events");
  await tx.run("DELETE FROM funnel_events");
}

export async function isDerived(tx: Tx, name: string): Promise<boolean> {
  const rows = await tx.all("SELECT 1 FROM derivations WHERE name = ?", [name]);
  return rows.length > 0;
}

export async function markDerived(tx: WriteTx, name: string, at: Date): Promise<void> {
  await tx.run(
    "INSERT INTO derivations VALUES (?, ?::TIMESTAMPTZ) ON CONFLICT (name) DO UPDATE SET derived_at = excluded.derived_at",
    [name, at],
  );
}

/**
 * Every stored event (hot and lake, every project) whose message may be a metric or a step, with
 * the fields a derived row reads; the maps as JSON object text, as the write path has them.
 */
export async function candidateEvents(
  tx: Tx,
  dataDir: string,
  projectIds: readonly string[],
): Promise<SourceEvent[]> {
  const source = await eventsSource(tx, dataDir, { projectIds });
  const rows = await tx.all<{ j: string }>(
    `SELECT to_json({
       id: id::VARCHAR, appId: app_id::VARCHAR, projectId: project_id::VARCHAR, clientEventId: client_event_id,
       sessionId: session_id, userId: user_id, apiKeyId: api_key_id::VARCHAR, message: message, screenName: screen_name,
       customAttributes: CASE WHEN custom_attributes IS NULL THEN NULL ELSE to_json(custom_attributes)::VARCHAR END,
       experiments: CASE WHEN experiments IS NULL THEN NULL ELSE to_json(experiments)::VARCHAR END,
       environment: environment, osVersion: os_version, appVersion: app_version, deviceModel: device_model,
       buildNumber: build_number, countryCode: country_code, isDev: is_dev,
       timestamp: epoch_ms(timestamp), receivedAt: epoch_ms(received_at), kind: kind
     })::VARCHAR AS j
     FROM (${source.sql}) AS e
     WHERE message LIKE 'metric:%' OR message LIKE 'step:%' OR message LIKE 'track:%'`,
    source.params,
  );
  return rows.map((r) => JSON.parse(r.j) as SourceEvent);
}

export async function allProjectIds(tx: Tx): Promise<string[]> {
  const rows = await tx.all<{ id: string }>("SELECT id::VARCHAR AS id FROM projects");
  return rows.map((r) => r.id);
}

/* Definitions: Owlmetry's metric and funnel definitions share their shape but for a few columns. */

export type DefinitionTable = "metric_definitions" | "funnel_definitions";

/** The columns of a definition beyond the common ones; JSON columns are bound as JSON text. */
const EXTRA_COLUMNS: Record<DefinitionTable, ReadonlyArray<{ name: string; json: boolean }>> = {
  metric_definitions: [
    { name: "documentation", json: false },
    { name: "schema_definition", json: true },
    { name: "aggregation_rules", json: true },
    { name: "status", json: false },
  ],
  funnel_definitions: [{ name: "steps", json: true }],
};

export interface DefinitionRow {
  id: string;
  project_id: string;
  name: string;
  slug: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  /** The table's own columns (JSON ones as values). */
  [column: string]: unknown;
}

/** A definition as read: its JSON columns parsed. */
function parsed(table: DefinitionTable, row: DefinitionRow): DefinitionRow {
  const out = { ...row };
  for (const c of EXTRA_COLUMNS[table])
    if (c.json && typeof out[c.name] === "string") out[c.name] = JSON.parse(out[c.name] as string);
  return out;
}

const selectDefinitions = (table: DefinitionTable) =>
  `SELECT id::VARCHAR AS id, project_id::VARCHAR AS project_id, name, slug, description,
     ${EXTRA_COLUMNS[table].map((c) => (c.json ? `${c.name}::VARCHAR AS ${c.name}` : c.name)).join(", ")},
     created_at, updated_at, deleted_at FROM ${table}`;

/** The live definitions of these projects, oldest first. */
export async function definitionsOf(tx: Tx, table: DefinitionTable, projectIds: readonly string[]) {
  const rows = await tx.all<DefinitionRow>(
    `${selectDefinitions(table)} WHERE list_contains(?::JSON::UUID[], project_id) AND deleted_at IS NULL
     ORDER BY created_at, slug`,
    [projectIds],
  );
  return rows.map((r) => parsed(table, r));
}

/** A project's definition by slug: the live one, or with `deleted` also one deleted. */
export async function definitionBySlug(
  tx: Tx,
  table: DefinitionTable,
  projectId: string,
  slug: string,
  deleted = false,
): Promise<DefinitionRow | null> {
  const [row] = await tx.all<DefinitionRow>(
    `${selectDefinitions(table)} WHERE project_id = ?::UUID AND slug = ? ${deleted ? "" : "AND deleted_at IS NULL"}
     ORDER BY deleted_at NULLS FIRST LIMIT 1`,
    [projectId, slug],
  );
  return row ? parsed(table, row) : null;
}

export async function definitionById(
  tx: Tx,
  table: DefinitionTable,
  id: string,
): Promise<DefinitionRow | null> {
  const [row] = await tx.all<DefinitionRow>(
    `${selectDefinitions(table)} WHERE id = ?::UUID AND deleted_at IS NULL`,
    [id],
  );
  return row ? parsed(table, row) : null;
}

/** Inserts the definition, or writes every column of the one with its id. */
export async function saveDefinition(tx: WriteTx, table: DefinitionTable, row: DefinitionRow): Promise<void> {
  const extra = EXTRA_COLUMNS[table];
  const columns = [
    "id",
    "project_id",
    "name",
    "slug",
    "description",
    ...extra.map((c) => c.name),
    "created_at",
    "updated_at",
    "deleted_at",
  ];
  const casts = [
    "?::UUID",
    "?::UUID",
    "?",
    "?",
    "?",
    ...extra.map((c) => (c.json ? "?::JSON" : "?")),
    "?::TIMESTAMPTZ",
    "?::TIMESTAMPTZ",
    "?::TIMESTAMPTZ",
  ];
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  await tx.run(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${casts.join(", ")})
     ON CONFLICT (id) DO UPDATE SET ${columns
       .slice(2)
       .map((c) => `${c} = excluded.${c}`)
       .join(", ")}`,
    [
      row.id,
      row.project_id,
      row.name,
      row.slug,
      row.description,
      ...extra.map((c) => (c.json ? json(row[c.name]) : (row[c.name] as string | null))),
      row.created_at,
      row.updated_at,
      row.deleted_at,
    ],
  );
}

/* Filters of metric and funnel queries over the derived rows. */

export interface AnalyticsFilters {
  projectIds: readonly string[];
  appId?: string;
  since?: Date;
  until?: Date;
  /** null: production and development. */
  isDev: boolean | null;
  appVersion?: string;
  deviceModel?: string;
  osVersion?: string;
  environment?: string;
  countryCode?: string;
  /** A user: their events, and those of the anonymous ids they claimed. */
  userId?: string;
  experiment?: { name: string; variant: string };
  /** false when no project in scope has an identity claim (users need no resolving). */
  claims?: boolean;
}

/** The JSON path of one experiment's variant in `experiments` (names never hold `"` or `\`: checked). */
export const experimentPath = (name: string): string => `$."${name}"`;

/** The WHERE clause of `f` over a derived table aliased `e`; every value bound. */
export function analyticsWhere(f: AnalyticsFilters): { sql: string; params: Param[] } {
  // One project (every project's route) by equality: a list test costs ~60 ns on every row.
  const parts = [
    f.projectIds.length === 1 ? "e.project_id = ?::UUID" : "list_contains(?::JSON::UUID[], e.project_id)",
  ];
  const params: Param[] = [f.projectIds.length === 1 ? (f.projectIds[0] as string) : f.projectIds];
  const add = (sql: string, ...values: Param[]) => {
    parts.push(sql);
    params.push(...values);
  };
  if (f.appId) add("e.app_id = ?::UUID", f.appId);
  if (f.since) add("e.timestamp >= ?::TIMESTAMPTZ", f.since);
  if (f.until) add("e.timestamp < ?::TIMESTAMPTZ", f.until);
  if (f.isDev !== null) add("e.is_dev = ?", f.isDev);
  if (f.appVersion !== undefined) add("e.app_version = ?", f.appVersion);
  if (f.deviceModel !== undefined) add("e.device_model = ?", f.deviceModel);
  if (f.osVersion !== undefined) add("e.os_version = ?", f.osVersion);
  if (f.environment !== undefined) add("e.environment = ?", f.environment);
  if (f.countryCode !== undefined) add("e.country_code = ?", f.countryCode);
  if (f.userId !== undefined) {
    add(
      `(e.user_id = ? OR e.user_id IN (SELECT anonymous_id FROM identity_claims c
         WHERE c.project_id = e.project_id AND c.user_id = ?))`,
      f.userId,
      f.userId,
    );
  }
  if (f.experiment) {
    add("json_extract_string(e.experiments, ?) = ?", experimentPath(f.experiment.name), f.experiment.variant);
  }
  return { sql: parts.join(" AND "), params };
}

/**
 * The user an event counts for (`who`) and the join it needs: with claims in the scope's projects,
 * the user who claimed its anonymous id, else its own; without any, its own and no join (the
 * join cost a daily series over 90 days a third of its time).
 */
export function usersOf(f: AnalyticsFilters): { who: string; join: string } {
  return f.claims === false
    ? { who: "e.user_id", join: "" }
    : {
        who: "coalesce(c.user_id, e.user_id)",
        join: "LEFT JOIN identity_claims c ON c.project_id = e.project_id AND c.anonymous_id = e.user_id",
      };
}

/** Whether any of these projects has an identity claim. */
export async function anyClaims(tx: Tx, projectIds: readonly string[]): Promise<boolean> {
  const rows = await tx.all(
    "SELECT 1 FROM identity_claims WHERE list_contains(?::JSON::UUID[], project_id) LIMIT 1",
    [projectIds],
  );
  return rows.length > 0;
}
