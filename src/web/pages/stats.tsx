import { useMemo, useState } from "preact/hooks";
import { get, qs, type Stats } from "../api";
import { type Series, StackedBars } from "../components/chart";
import { Choice } from "../components/fields";
import { useLatest } from "../latest";
import { go } from "../route";
import type { Scope } from "../scope";

export const OUTCOMES: ReadonlyArray<[string, string, string]> = [
  ["accepted", "Accepted", "#2da44e"],
  ["filtered", "Filtered", "#8250df"],
  ["rate_limited", "Rate limited", "#d4a72c"],
  ["invalid", "Invalid", "#cf222e"],
  ["abuse", "Abuse", "#6e7781"],
  ["client_discard", "Client discard", "#0969da"],
  ["cardinality_limited", "Cardinality limited", "#bf3989"],
];
/** Always offered; any other category appears once data of it has arrived (categoriesOffered). */
const CATEGORIES: ReadonlyArray<readonly [string, string]> = [
  ["error", "Errors and events"],
  ["session", "Sessions"],
  ["attachment", "Attachments"],
  ["transaction", "Transactions"],
];
/** Names for the categories Sentry's SDKs send; others show as Sentry names them. */
const LABELS: Record<string, string> = {
  default: "Errors and events",
  span: "Spans",
  log_item: "Logs",
  log_byte: "Log bytes",
  monitor: "Cron check-ins",
  feedback: "User feedback",
  profile: "Profiles",
  replay: "Replays",
};
/** error covers default and security in stats_v2, so those are not offered on their own. */
const FOLDED = new Set(["default", "security"]);

/** The picker's options: the fixed ones, then every other category that has data. */
export function categoriesOffered(arrived: readonly string[]): Array<readonly [string, string]> {
  const known = new Set(CATEGORIES.map(([c]) => c));
  const more = arrived
    .filter((c) => !known.has(c) && !FOLDED.has(c))
    .sort()
    .map((c) => [c, LABELS[c] ?? c] as const);
  return [...CATEGORIES, ...more];
}
const PERIODS = ["24h", "7d", "30d", "90d", "custom"] as const;
const DEFAULT_INTERVAL: Record<string, string> = {
  "24h": "1h",
  "7d": "1h",
  "30d": "1d",
  "90d": "1d",
  custom: "1d",
};
const INTERVALS = ["5m", "15m", "1h", "6h", "1d"];

/** Sentry's Stats page over stats_v2: outcomes stacked over time, totals, and a per-project table. */
export function StatsPage({ scope, params }: { scope: Scope; params: Record<string, string> }) {
  const category = params.category ?? "error";
  const period = params.period ?? "7d";
  const interval = params.interval || DEFAULT_INTERVAL[period] || "1h";
  const field = params.field === "times_seen" ? "sum(times_seen)" : "sum(quantity)";
  const set = (change: Record<string, string | undefined>) =>
    go("stats", { ...params, team: scope.teamId, project: scope.projectId || undefined, ...change });

  const range =
    period === "custom"
      ? {
          start: params.start ? `${params.start}T00:00:00Z` : undefined,
          end: params.end ? `${params.end}T00:00:00Z` : undefined,
        }
      : { statsPeriod: period };
  const url = `/api/0/organizations/${scope.teamSlug}/stats_v2/`;
  const base = {
    field,
    category,
    interval,
    project: scope.projectId || undefined,
    ...range,
  };
  const [arrived, setArrived] = useState<string[]>([]);
  useLatest(
    [url, scope.projectId],
    () =>
      get<Stats>(
        `${url}?${qs({ field: "sum(quantity)", groupBy: "category", statsPeriod: "90d", interval: "1d", project: scope.projectId || undefined })}`,
      ),
    (s) => setArrived(s.groups.map((g) => g.by.category as string)),
  );
  const [series, setSeries] = useState<Stats | null>(null);
  const [byProject, setByProject] = useState<Stats | null>(null);
  const [error, setError] = useState("");
  useLatest(
    [url, qs(base)],
    () => {
      setError("");
      return Promise.all([
        get<Stats>(`${url}?${qs({ ...base, groupBy: "outcome" })}`),
        get<Stats>(`${url}?${qs({ ...base, groupBy: ["project", "outcome"] })}`),
      ]);
    },
    ([s, p]) => {
      setSeries(s);
      setByProject(p);
    },
    (e) => setError(e.message),
  );

  const unit =
    (category === "attachment" || category === "log_byte") && field === "sum(quantity)" ? "bytes" : "";
  const chart = useMemo(() => {
    if (!series?.intervals) return null;
    const times = series.intervals.map((t) => Date.parse(t) / 1000);
    const lines: Series[] = [];
    for (const [outcome, label, color] of OUTCOMES) {
      const group = series.groups.find((g) => g.by.outcome === outcome);
      if (group?.series) lines.push({ label, color, values: group.series[field] ?? [] });
    }
    return { times, lines };
  }, [series, field]);

  return (
    <section class="stats">
      <div class="controls">
        <Choice
          label="Category"
          value={category}
          options={categoriesOffered(arrived)}
          onChange={(v) => set({ category: v })}
        />
        <label>
          Measure
          <select
            aria-label="Measure"
            value={field === "sum(times_seen)" ? "times_seen" : "quantity"}
            onChange={(e) => set({ field: (e.target as HTMLSelectElement).value })}
          >
            <option value="quantity">Quantity (events, bytes)</option>
            <option value="times_seen">Times seen (items, sessions, files)</option>
          </select>
        </label>
        <fieldset class="periods" aria-label="Period">
          {PERIODS.map((p) => (
            <button
              key={p}
              type="button"
              class={p === period ? "active" : ""}
              onClick={() => set({ period: p, interval: undefined })}
            >
              {p}
            </button>
          ))}
        </fieldset>
        {period === "custom" && (
          <>
            <label>
              From
              <input
                type="date"
                value={params.start ?? ""}
                onChange={(e) => set({ start: (e.target as HTMLInputElement).value })}
              />
            </label>
            <label>
              To
              <input
                type="date"
                value={params.end ?? ""}
                onChange={(e) => set({ end: (e.target as HTMLInputElement).value })}
              />
            </label>
          </>
        )}
        <Choice
          label="Interval"
          value={interval}
          options={INTERVALS.map((i) => [i, i] as const)}
          onChange={(v) => set({ interval: v })}
        />
      </div>
      {error && <p class="error">{error}</p>}
      {series && (
        <div class="totals" data-testid="stats-totals">
          {OUTCOMES.map(([outcome, label, color]) => {
            const total = series.groups.find((g) => g.by.outcome === outcome)?.totals[field] ?? 0;
            return (
              <div key={outcome} class="total" style={{ borderColor: color }} data-outcome={outcome}>
                <span>{label}</span>
                <strong>{total.toLocaleString()}</strong>
              </div>
            );
          })}
        </div>
      )}
      {chart && <StackedBars times={chart.times} series={chart.lines} unit={unit} />}
      {chart && series?.intervals && (
        <details class="numbers">
          <summary>Numbers per interval</summary>
          <table data-testid="stats-table">
            <thead>
              <tr>
                <th>Interval</th>
                {chart.lines.map((l) => (
                  <th key={l.label}>{l.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {series.intervals.map((t, i) => (
                <tr key={t} data-interval={t}>
                  <td>{t}</td>
                  {chart.lines.map((l) => (
                    <td key={l.label}>{l.values[i] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      {byProject && (
        <table class="projects" data-testid="stats-projects">
          <thead>
            <tr>
              <th>Project</th>
              {OUTCOMES.slice(0, 6).map(([o, label]) => (
                <th key={o}>{label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {scope.projects
              .filter((p) => !scope.projectId || p.id === scope.projectId)
              .map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  {OUTCOMES.slice(0, 6).map(([o]) => (
                    <td key={o}>
                      {(
                        byProject.groups.find((g) => g.by.project === p.id && g.by.outcome === o)?.totals[
                          field
                        ] ?? 0
                      ).toLocaleString()}
                    </td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
