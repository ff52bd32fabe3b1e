import { useMemo, useState } from "preact/hooks";
import { get, type Metric, type MetricAggregation, type MetricStat, qs } from "../api";
import { type Line, Lines, type Scale } from "../components/chart";
import { Choice, DATA_MODES, duration, percent, RangeButtons } from "../components/fields";
import { useLatest } from "../latest";
import { go } from "../route";
import { projectsInView, type Scope } from "../scope";

/** A metric of the list: its definition, its counts over the range, or both. */
interface Row {
  projectId: string;
  slug: string;
  definition: Metric | null;
  stat: MetricStat | null;
}

const SCALES: Scale[] = [
  { name: "ms", format: duration },
  { name: "%", format: (v) => `${v}%`, max: 100 },
];
const DURATION_SCALE = SCALES.slice(0, 1);
const COUNT_SCALE: Scale[] = [{ name: "n", format: (v) => v.toLocaleString() }];
const PERCENTILES = [
  ["duration_p50_ms", "p50", "#0969da"],
  ["duration_p90_ms", "p90", "#8250df"],
  ["duration_p95_ms", "p95", "#d4a72c"],
  ["duration_p99_ms", "p99", "#cf222e"],
] as const;
/** The ranges of up to two days by the hour, longer ones by the day: the group_by and its step. */
const bucketOf = (range: string): [string, number] =>
  range === "24h" ? ["time:hour", 3_600_000] : ["time:day", 86_400_000];

/**
 * Owlmetry's metrics (decision 012): every defined metric and every slug that has events, with
 * its completions and failures over the range; one opened with its durations over time, counts,
 * errors and releases. The range, data mode and opened metric live in the URL.
 */
export function MetricsPage({ scope, params }: { scope: Scope; params: Record<string, string> }) {
  const range = params.period ?? "7d";
  const mode = params.mode ?? "production";
  const nav = (change: Record<string, string | undefined>) =>
    go("metrics", { team: scope.teamId, project: scope.projectId || undefined, ...params, ...change });
  const projects = projectsInView(scope);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState("");
  useLatest(
    [projects.map((p) => p.id).join(), range, mode],
    () =>
      Promise.all(
        projects.map(async (p) => {
          const [defined, counted] = await Promise.all([
            get<{ metrics: Metric[] }>(`/v1/projects/${p.id}/metrics`),
            get<{ stats: MetricStat[] }>(
              `/v1/projects/${p.id}/metric-stats?${qs({ since: range, data_mode: mode })}`,
            ),
          ]);
          const slugs = [
            ...new Set([...defined.metrics.map((m) => m.slug), ...counted.stats.map((s) => s.slug)]),
          ];
          return slugs.sort().map((slug) => ({
            projectId: p.id,
            slug,
            definition: defined.metrics.find((m) => m.slug === slug) ?? null,
            stat: counted.stats.find((s) => s.slug === slug) ?? null,
          }));
        }),
      ),
    (all) => {
      setRows(all.flat());
      setError("");
    },
    (e) => setError(e.message),
  );
  const open = rows?.find((r) => r.slug === params.metric && r.projectId === params.metric_project);
  const projectName = (id: string) => scope.projects.find((p) => p.id === id)?.name ?? "";
  return (
    <section class="page metrics">
      <div class="filters">
        <RangeButtons value={range} onChange={(period) => nav({ period })} />
        <Choice label="Data" value={mode} options={DATA_MODES} onChange={(m) => nav({ mode: m })} />
      </div>
      {error && <p class="error">{error}</p>}
      {rows?.length === 0 && (
        <p class="empty">
          No metrics yet. Owlmetry's SDKs send them as <code>{"metric:<slug>:<phase>"}</code> events; a
          definition names one.
        </p>
      )}
      {rows && rows.length > 0 && (
        <table class="event-table" data-testid="metrics-table">
          <thead>
            <tr>
              <th>Metric</th>
              {!scope.projectId && <th>Project</th>}
              <th>Kind</th>
              <th class="num">Completions</th>
              <th class="num">Failures</th>
              <th class="num">Success rate</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={`${r.projectId}/${r.slug}`}
                data-slug={r.slug}
                class={r === open ? "selected" : ""}
                onClick={() => nav({ metric: r.slug, metric_project: r.projectId })}
              >
                <td>
                  {r.definition?.name ?? r.slug} <span class="muted small">{r.slug}</span>
                  {!r.definition && <span class="badge">no definition</span>}
                </td>
                {!scope.projectId && <td>{projectName(r.projectId)}</td>}
                <td>{kindOf(r.definition)}</td>
                <td class="num">{(r.stat?.complete_count ?? 0).toLocaleString()}</td>
                <td class="num">{(r.stat?.fail_count ?? 0).toLocaleString()}</td>
                <td class="num">{percent(r.stat?.success_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <MetricDetail key={`${open.projectId}/${open.slug}`} row={open} range={range} mode={mode} />}
    </section>
  );
}

/** What the definition's rules say: a lifecycle (start, then an end) or not; null when they don't. */
function lifecycleOf(definition: Metric | null): boolean | null {
  const rules = definition?.aggregation_rules as { lifecycle?: unknown } | null | undefined;
  return typeof rules?.lifecycle === "boolean" ? rules.lifecycle : null;
}

function kindOf(definition: Metric | null): string {
  const lifecycle = lifecycleOf(definition);
  return lifecycle === true ? "Lifecycle" : lifecycle === false ? "Single-shot" : "—";
}

/** One metric over the range: headline numbers, durations over time, top errors, releases. */
function MetricDetail({ row, range, mode }: { row: Row; range: string; mode: string }) {
  const [bucket, step] = bucketOf(range);
  const [overTime, setOverTime] = useState<MetricAggregation | null>(null);
  const [byVersion, setByVersion] = useState<MetricAggregation | null>(null);
  const [error, setError] = useState("");
  const path = `/v1/projects/${row.projectId}/metrics/${row.slug}/query`;
  useLatest(
    [path, range, mode],
    () => {
      setError("");
      const query = (group_by: string) =>
        get<{ aggregation: MetricAggregation }>(`${path}?${qs({ since: range, data_mode: mode, group_by })}`);
      return Promise.all([query(bucket), query("app_version")]);
    },
    ([time, versions]) => {
      setOverTime(time.aggregation);
      setByVersion(versions.aggregation);
    },
    (e) => setError(e.message),
  );
  const chart = useMemo(() => (overTime ? chartOf(overTime, step) : null), [overTime, step]);
  const a = overTime;
  // A slug without a definition: a lifecycle when it has starts.
  const lifecycle = lifecycleOf(row.definition) ?? (a ? a.start_count > 0 : true);
  const figures: ReadonlyArray<readonly [string, string, string]> = a
    ? [
        ...(lifecycle
          ? ([
              ["start", "Started", a.start_count.toLocaleString()],
              ["complete", "Completed", a.complete_count.toLocaleString()],
              ["fail", "Failed", a.fail_count.toLocaleString()],
              ["cancel", "Cancelled", a.cancel_count.toLocaleString()],
              ["abandoned", "Abandoned", a.abandoned_count.toLocaleString()],
              ["success", "Success rate", percent(a.success_rate)],
            ] as const)
          : ([["record", "Recorded", a.record_count.toLocaleString()]] as const)),
        ["users", "Users", a.unique_users.toLocaleString()],
        ["p50", "p50", duration(a.duration_p50_ms)],
        ["p95", "p95", duration(a.duration_p95_ms)],
        ["p99", "p99", duration(a.duration_p99_ms)],
      ]
    : [];
  const versions = [...(byVersion?.groups ?? [])].sort((x, y) =>
    y.value.localeCompare(x.value, undefined, { numeric: true }),
  );
  return (
    <div class="detail" data-testid="metric-detail">
      <h2>
        {row.definition?.name ?? row.slug} <span class="muted">{row.slug}</span>
      </h2>
      {row.definition?.description && <p class="muted">{row.definition.description}</p>}
      {error && <p class="error">{error}</p>}
      <div class="totals" data-testid="metric-totals">
        {figures.map(([key, label, value]) => (
          <div key={key} class="total" data-figure={key}>
            <span>{label}</span>
            <strong>{value}</strong>
          </div>
        ))}
      </div>
      {chart && chart.times.length === 0 && <p class="muted">No events in this range.</p>}
      {chart && chart.times.length > 0 && (
        <Lines times={chart.times} lines={chart.lines} scales={chart.scales} testId="metric-chart" />
      )}
      <div class="split">
        <div class="table-wrap">
          <h3>By version</h3>
          <table data-testid="metric-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th class="num">Events</th>
                <th class="num">Completed</th>
                <th class="num">Failed</th>
                <th class="num">Success rate</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
                <th class="num">p99</th>
                <th class="num">Users</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((g) => (
                <tr key={g.value} data-version={g.value}>
                  <td>{g.value}</td>
                  <td class="num">{g.total_count.toLocaleString()}</td>
                  <td class="num">{g.complete_count.toLocaleString()}</td>
                  <td class="num">{g.fail_count.toLocaleString()}</td>
                  <td class="num">{percent(g.success_rate)}</td>
                  <td class="num">{duration(g.duration_p50_ms)}</td>
                  <td class="num">{duration(g.duration_p95_ms)}</td>
                  <td class="num">{duration(g.duration_p99_ms)}</td>
                  <td class="num">{g.unique_users.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="table-wrap">
          <h3>Top errors</h3>
          {a?.error_breakdown.length === 0 && <p class="muted">None</p>}
          <table data-testid="metric-errors">
            <tbody>
              {a?.error_breakdown.map((e) => (
                <tr key={e.error}>
                  <td>{e.error}</td>
                  <td class="num">{e.count.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}

/**
 * The chart of a time-grouped answer: duration percentiles and the success rate, or the number of
 * events of a metric with neither. Intervals without events are gaps, not lines drawn across.
 */
function chartOf(a: MetricAggregation, step: number): { times: number[]; lines: Line[]; scales: Scale[] } {
  const groups = new Map((a.groups ?? []).map((g) => [Date.parse(g.value), g]));
  const starts = [...groups.keys()];
  const times: number[] = [];
  if (starts.length > 0)
    for (let t = starts[0] as number; t <= (starts.at(-1) as number); t += step) times.push(t);
  const values = (read: (g: NonNullable<MetricAggregation["groups"]>[number]) => number | null) =>
    times.map((t) => {
      const g = groups.get(t);
      return g ? read(g) : null;
    });
  const seconds = times.map((t) => t / 1000);
  if (a.duration_p50_ms === null && a.success_rate === null)
    return {
      times: seconds,
      lines: [{ label: "Events", color: "#0969da", values: values((g) => g.total_count), scale: "n" }],
      scales: COUNT_SCALE,
    };
  const lines: Line[] = PERCENTILES.map(([key, label, color]) => ({
    label,
    color,
    values: values((g) => g[key]),
    scale: "ms",
  }));
  if (a.success_rate === null) return { times: seconds, lines, scales: DURATION_SCALE };
  lines.push({ label: "Success rate", color: "#2da44e", values: values((g) => g.success_rate), scale: "%" });
  return { times: seconds, lines, scales: SCALES };
}
