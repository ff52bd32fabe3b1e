import { useState } from "preact/hooks";
import { api, type Experiment, type Funnel, type FunnelAnalytics, get, qs } from "../api";
import { Choice, DATA_MODES, duration, RangeButtons } from "../components/fields";
import { FunnelEditor } from "../components/funnel-editor";
import { useLatest } from "../latest";
import { go } from "../route";
import { projectsInView, type Scope } from "../scope";

type StepNumbers = FunnelAnalytics["steps"];
/** One set of bars: every user, or one group's. */
interface Bars {
  label: string;
  color: string;
  users: number;
  steps: StepNumbers;
}

const COLORS = ["#0969da", "#2da44e", "#d4a72c", "#8250df", "#cf222e", "#6e7781", "#bf3989"];
const MODES: ReadonlyArray<readonly [string, string]> = [
  ["open", "Open"],
  ["closed", "Closed"],
];

/**
 * Owlmetry's funnels (decision 012): the definitions, an editor to create and change them, and one
 * opened as bars of its users per step, open or closed, optionally side by side per environment,
 * version or experiment variant. Range, data mode, funnel, mode and grouping live in the URL.
 */
export function FunnelsPage({ scope, params }: { scope: Scope; params: Record<string, string> }) {
  const range = params.period ?? "7d";
  const mode = params.mode ?? "production";
  const nav = (change: Record<string, string | undefined>) =>
    go("funnels", { team: scope.teamId, project: scope.projectId || undefined, ...params, ...change });
  const projects = projectsInView(scope);
  const [funnels, setFunnels] = useState<Funnel[] | null>(null);
  const [editing, setEditing] = useState<Funnel | "new" | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState("");
  useLatest(
    [projects.map((p) => p.id).join(), version],
    () => Promise.all(projects.map((p) => get<{ funnels: Funnel[] }>(`/v1/projects/${p.id}/funnels`))),
    (all) => {
      setFunnels(all.flatMap((r) => r.funnels));
      setError("");
    },
    (e) => setError(e.message),
  );
  const open = funnels?.find((f) => f.slug === params.funnel && f.project_id === params.funnel_project);
  const projectName = (id: string) => scope.projects.find((p) => p.id === id)?.name ?? "";
  const remove = async (f: Funnel) => {
    if (!confirm(`Delete the funnel ${f.name}? Its step events stay.`)) return;
    try {
      await api("DELETE", `/v1/projects/${f.project_id}/funnels/${f.slug}`);
      setVersion((v) => v + 1);
      nav({ funnel: undefined, funnel_project: undefined });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="page funnels">
      <div class="filters">
        <RangeButtons value={range} onChange={(period) => nav({ period })} />
        <Choice label="Data" value={mode} options={DATA_MODES} onChange={(m) => nav({ mode: m })} />
        <button type="button" onClick={() => setEditing("new")} disabled={projects.length === 0}>
          New funnel
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {funnels?.length === 0 && (
        <p class="empty">
          No funnels yet. Owlmetry's SDKs send steps as <code>{"step:<name>"}</code> events; define a funnel
          over them.
        </p>
      )}
      {funnels && funnels.length > 0 && (
        <table class="event-table" data-testid="funnels-table">
          <thead>
            <tr>
              <th>Funnel</th>
              {!scope.projectId && <th>Project</th>}
              <th>Steps</th>
            </tr>
          </thead>
          <tbody>
            {funnels.map((f) => (
              <tr
                key={f.id}
                data-slug={f.slug}
                class={f === open ? "selected" : ""}
                onClick={() => {
                  setEditing(null);
                  nav({ funnel: f.slug, funnel_project: f.project_id, group: undefined });
                }}
              >
                <td>
                  {f.name} <span class="muted small">{f.slug}</span>
                </td>
                {!scope.projectId && <td>{projectName(f.project_id)}</td>}
                <td>{f.steps.map((s) => s.name).join(" → ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing ? (
        <FunnelEditor
          key={editing === "new" ? "new" : editing.id}
          funnel={editing === "new" ? null : editing}
          projects={projects}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setVersion((v) => v + 1);
            nav({ funnel: saved.slug, funnel_project: saved.project_id });
          }}
        />
      ) : (
        open && (
          <FunnelDetail
            key={open.id}
            funnel={open}
            range={range}
            dataMode={mode}
            params={params}
            nav={nav}
            onEdit={() => setEditing(open)}
            onDelete={() => remove(open)}
          />
        )
      )}
    </section>
  );
}

function FunnelDetail({
  funnel,
  range,
  dataMode,
  params,
  nav,
  onEdit,
  onDelete,
}: {
  funnel: Funnel;
  range: string;
  dataMode: string;
  params: Record<string, string>;
  nav: (change: Record<string, string | undefined>) => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const mode = params.funnel_mode ?? "open";
  const group = params.group ?? "";
  const [analytics, setAnalytics] = useState<FunnelAnalytics | null>(null);
  const [experiments, setExperiments] = useState<Experiment[]>([]);
  const [error, setError] = useState("");
  const project = `/v1/projects/${funnel.project_id}`;
  useLatest(
    [project, range, dataMode],
    () =>
      get<{ experiments: Experiment[] }>(
        `${project}/experiments?${qs({ since: range, data_mode: dataMode })}`,
      ),
    (r) => setExperiments(r.experiments),
  );
  useLatest(
    [project, funnel.slug, funnel.updated_at, range, dataMode, mode, group],
    () => {
      setError("");
      return get<{ analytics: FunnelAnalytics }>(
        `${project}/funnels/${funnel.slug}/query?${qs({ since: range, data_mode: dataMode, mode, group_by: group })}`,
      );
    },
    (r) => setAnalytics(r.analytics),
    (e) => setError(e.message),
  );
  const bars: Bars[] = analytics
    ? analytics.breakdown
      ? analytics.breakdown.map((b, i) => ({
          label: b.value,
          color: COLORS[i % COLORS.length] as string,
          users: b.total_users,
          steps: b.steps,
        }))
      : [
          {
            label: "All users",
            color: COLORS[0] as string,
            users: analytics.total_users,
            steps: analytics.steps,
          },
        ]
    : [];
  return (
    <div class="detail" data-testid="funnel-detail">
      <h2>
        {funnel.name} <span class="muted">{funnel.slug}</span>{" "}
        <button type="button" class="link" onClick={onEdit}>
          Edit
        </button>{" "}
        <button type="button" class="link danger" onClick={onDelete}>
          Delete
        </button>
      </h2>
      {funnel.description && <p class="muted">{funnel.description}</p>}
      <div class="controls">
        <fieldset class="periods" aria-label="Mode">
          {MODES.map(([m, label]) => (
            <button
              key={m}
              type="button"
              class={m === mode ? "active" : ""}
              title={m === "open" ? "A step counts whoever did it, in any order" : "Each step in order only"}
              onClick={() => nav({ funnel_mode: m })}
            >
              {label}
            </button>
          ))}
        </fieldset>
        <Choice
          label="Group by"
          value={group}
          first={["", "None"]}
          options={[
            ["environment", "Environment"],
            ["app_version", "App version"],
            ...experiments.map((x) => [`experiment:${x.name}`, `Experiment: ${x.name}`] as const),
          ]}
          onChange={(g) => nav({ group: g || undefined })}
        />
      </div>
      {error && <p class="error">{error}</p>}
      {analytics && (
        <>
          <ul class="legend" data-testid="funnel-legend">
            {bars.map((b) => (
              <li key={b.label} data-group={b.label}>
                <span class="swatch" style={{ background: b.color }} /> {b.label}:{" "}
                <strong>{b.users.toLocaleString()}</strong> users
              </li>
            ))}
          </ul>
          <StepBars names={funnel.steps.map((s) => s.name)} bars={bars} />
          <StepTable bars={bars} grouped={Boolean(analytics.breakdown)} />
        </>
      )}
    </div>
  );
}

/** Per step, a bar per group as tall as its share of the group's first step, side by side. */
function StepBars({ names, bars }: { names: string[]; bars: Bars[] }) {
  return (
    <div class="funnel-chart" data-testid="funnel-chart">
      {names.map((name, i) => (
        <div key={i} class="funnel-step">
          <div class="bars">
            {bars.map((b) => {
              const s = b.steps[i];
              return (
                <div
                  key={b.label}
                  class="bar"
                  data-group={b.label}
                  style={{ height: `${s?.percentage ?? 0}%`, background: b.color }}
                  title={`${b.label}: ${s?.unique_users.toLocaleString()} users`}
                >
                  <span>{s?.percentage}%</span>
                </div>
              );
            })}
          </div>
          <div class="step-name">{name}</div>
        </div>
      ))}
    </div>
  );
}

/** The numbers under the bars: users, share of the first step, drop-off and time per step. */
function StepTable({ bars, grouped }: { bars: Bars[]; grouped: boolean }) {
  return (
    <table data-testid="funnel-table">
      <thead>
        <tr>
          <th>Step</th>
          {grouped && <th>Group</th>}
          <th class="num">Users</th>
          <th class="num">Of the first step</th>
          <th class="num">Dropped off</th>
          <th class="num">Median time from previous</th>
        </tr>
      </thead>
      <tbody>
        {(bars[0]?.steps ?? []).map((_, i) =>
          bars.map((b) => {
            const s = b.steps[i] as StepNumbers[number];
            return (
              <tr key={`${i}/${b.label}`} data-step={i} data-group={b.label}>
                <td>{s.step_name}</td>
                {grouped && <td>{b.label}</td>}
                <td class="num">{s.unique_users.toLocaleString()}</td>
                <td class="num">{s.percentage}%</td>
                <td class="num">
                  {i === 0 ? "—" : `${s.drop_off_count.toLocaleString()} (${s.drop_off_percentage}%)`}
                </td>
                <td class="num">{duration(s.median_time_from_previous_ms)}</td>
              </tr>
            );
          }),
        )}
      </tbody>
    </table>
  );
}
