import { useState } from "preact/hooks";
import {
  api,
  downloadAttachment,
  type EventDetail,
  type EventRow,
  get,
  type Issue,
  type IssueDetail,
  qs,
} from "../api";
import { CommentThread } from "../components/comments";
import { Choice, DATA_MODES, minute } from "../components/fields";
import { useLatest, usePages } from "../latest";
import { go, href } from "../route";
import type { Scope } from "../scope";

const STATUSES: ReadonlyArray<readonly [string, string]> = [
  ["new", "New"],
  ["in_progress", "In progress"],
  ["regressed", "Regressed"],
  ["resolved", "Resolved"],
  ["snoozed", "Snoozed"],
  ["silenced", "Silenced"],
];
const SORTS: ReadonlyArray<readonly [string, string]> = [
  ["last_seen", "Last seen"],
  ["events", "Most events"],
  ["users", "Most users"],
  ["first_seen", "Newest"],
];
const label = (status: string) => STATUSES.find(([s]) => s === status)?.[1] ?? status;

/** Errors grouped into issues (decision 011): the list with its filters in the URL, and one issue. */
export function IssuesPage({ scope, params }: { scope: Scope; params: Record<string, string> }) {
  const [version, setVersion] = useState(0);
  const nav = (change: Record<string, string | undefined>) =>
    go("issues", { team: scope.teamId, project: scope.projectId || undefined, ...params, ...change });
  const query = {
    team_id: scope.teamId,
    project_id: scope.projectId || undefined,
    status: params.status,
    sort: params.sort,
    data_mode: params.mode ?? "production",
    limit: "50",
  };
  const { items, cursor, error, more } = usePages<Issue>(
    [scope.teamId, scope.projectId, params.status, params.sort, params.mode, version],
    "/v1/issues",
    "issues",
    query,
  );
  const open = items.find((i) => i.id === params.issue);
  return (
    <section class="page issues">
      <div class="filters">
        <Choice
          label="Status"
          value={params.status ?? ""}
          first={["", "Any status"]}
          options={STATUSES}
          onChange={(status) => nav({ status: status || undefined, issue: undefined })}
        />
        <Choice
          label="Sort"
          value={params.sort ?? "last_seen"}
          options={SORTS}
          onChange={(sort) => nav({ sort })}
        />
        <Choice
          label="Data"
          value={params.mode ?? "production"}
          options={DATA_MODES}
          onChange={(mode) => nav({ mode, issue: undefined })}
        />
      </div>
      {error && <p class="error">{error}</p>}
      <div class="split">
        <div class="table-wrap">
          {items.length === 0 && !error ? (
            <p class="empty">No issues. Errors become issues within seconds of arriving.</p>
          ) : (
            <table class="event-table" data-testid="issues-table">
              <thead>
                <tr>
                  <th>Issue</th>
                  <th>Last 14 days</th>
                  <th class="num">Events</th>
                  <th class="num">Users</th>
                  <th>Last seen</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {items.map((i) => (
                  <tr
                    key={i.id}
                    class={i.id === params.issue ? "selected" : ""}
                    onClick={() => nav({ issue: i.id })}
                  >
                    <td>
                      <span class="muted">#{i.short_id}</span>{" "}
                      {i.title.length > 80 ? `${i.title.slice(0, 80)}…` : i.title}
                      <div class="muted small">
                        {[i.app_name, i.project_name, i.source_module].filter(Boolean).join(" · ")}
                      </div>
                    </td>
                    <td>
                      <Sparkline days={i.days ?? []} />
                    </td>
                    <td class="num">{i.event_count.toLocaleString()}</td>
                    <td class="num">{i.unique_user_count.toLocaleString()}</td>
                    <td>{minute(i.last_seen_at)}</td>
                    <td>
                      <span class={`status status-${i.status}`}>{label(i.status)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {cursor && (
            <button type="button" onClick={more}>
              More
            </button>
          )}
        </div>
        {open && (
          <IssuePanel
            issue={open}
            scope={scope}
            onClose={() => nav({ issue: undefined })}
            onChanged={() => setVersion((v) => v + 1)}
          />
        )}
      </div>
    </section>
  );
}

/** Events per day over the last 14 days, as bars. */
function Sparkline({ days }: { days: ReadonlyArray<{ day: string; events: number }> }) {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const byDay = new Map(days.map((d) => [d.day, d.events]));
  const values = Array.from(
    { length: 14 },
    (_, i) => byDay.get(new Date(today - (13 - i) * 86_400_000).toISOString().slice(0, 10)) ?? 0,
  );
  const top = Math.max(1, ...values);
  return (
    <svg class="sparkline" width="84" height="20" viewBox="0 0 84 20" role="img" aria-label="events per day">
      {values.map((v, i) => (
        <rect key={i} x={i * 6} y={20 - (v / top) * 20} width="5" height={(v / top) * 20} />
      ))}
    </svg>
  );
}

/** The whole history by day, as bars with the first and last day under them. */
function DayChart({ days }: { days: ReadonlyArray<{ day: string; events: number }> }) {
  if (days.length === 0) return <p class="muted">No events left (past the retention)</p>;
  const top = Math.max(1, ...days.map((d) => d.events));
  const width = Math.max(4, Math.floor(320 / days.length));
  return (
    <figure class="day-chart" data-testid="issue-days">
      <svg width={width * days.length} height="60" role="img" aria-label="events per day">
        {days.map((d, i) => (
          <rect
            key={d.day}
            x={i * width}
            y={60 - (d.events / top) * 60}
            width={width - 1}
            height={(d.events / top) * 60}
          >
            <title>
              {d.day}: {d.events}
            </title>
          </rect>
        ))}
      </svg>
      <figcaption class="muted">
        {days[0]?.day} → {days.at(-1)?.day}, at most {top.toLocaleString()} a day
      </figcaption>
    </figure>
  );
}

function IssuePanel({
  issue,
  scope,
  onClose,
  onChanged,
}: {
  issue: Issue;
  scope: Scope;
  onClose: () => void;
  onChanged: () => void;
}) {
  const [detail, setDetail] = useState<IssueDetail | null>(null);
  const [latest, setLatest] = useState<EventDetail | null>(null);
  const [version, setVersion] = useState(0);
  const [fixVersion, setFixVersion] = useState("");
  const [error, setError] = useState("");
  const path = `/v1/projects/${issue.project_id}/issues/${issue.id}`;
  useLatest([path, version], () => get<IssueDetail>(path), setDetail);
  useLatest(
    [issue.id],
    async () => {
      setLatest(null);
      const page = await get<{ events: EventRow[] }>(
        `/v1/events?${qs({ issue_id: issue.id, limit: "1", data_mode: "all" })}`,
      );
      const newest = page.events[0];
      return newest ? get<EventDetail>(`/v1/events/${newest.id}`) : null;
    },
    setLatest,
  );
  const update = async (body: Record<string, unknown>) => {
    try {
      await api("PATCH", path, body);
      setError("");
      setVersion((v) => v + 1);
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const shown = detail ?? issue;
  return (
    <aside class="panel" data-testid="issue-panel">
      <button type="button" class="close" onClick={onClose} aria-label="Close">
        ×
      </button>
      <h2>
        <span class="muted">#{shown.short_id}</span> {shown.title}
      </h2>
      <p>
        <span class={`status status-${shown.status}`}>{label(shown.status)}</span>
        {shown.resolved_at_version && <span class="muted"> in {shown.resolved_at_version}</span>}
        {shown.is_dev && <span class="badge">dev</span>}
        {shown.events_expired && <span class="muted"> · its events are past the retention</span>}
      </p>
      <div class="actions" data-testid="issue-actions">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            update({ status: "resolved", resolved_at_version: fixVersion });
          }}
        >
          <input
            aria-label="Fixed in version"
            placeholder="fixed in version"
            value={fixVersion}
            onInput={(e) => setFixVersion((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Resolve</button>
        </form>
        <button type="button" onClick={() => update({ status: "in_progress" })}>
          In progress
        </button>
        <button type="button" onClick={() => update({ status: "snoozed" })}>
          Snooze
        </button>
        <button type="button" onClick={() => update({ status: "silenced" })}>
          Silence
        </button>
        <button type="button" onClick={() => update({ status: "new" })}>
          Reopen
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      <dl>
        {(
          [
            ["Events", shown.event_count.toLocaleString()],
            ["Sessions", shown.occurrence_count.toLocaleString()],
            ["Users", shown.unique_user_count.toLocaleString()],
            [
              "First seen",
              `${minute(shown.first_seen_at)}${shown.first_seen_app_version ? ` in ${shown.first_seen_app_version}` : ""}`,
            ],
            [
              "Last seen",
              `${minute(shown.last_seen_at)}${shown.last_seen_app_version ? ` in ${shown.last_seen_app_version}` : ""}`,
            ],
            ["App", shown.app_name ?? shown.app_id],
            ["Module", shown.source_module],
          ] as const
        ).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v ?? "—"}</dd>
          </div>
        ))}
      </dl>
      <h3>By day</h3>
      {detail && <DayChart days={detail.days} />}
      <p>
        <a
          href={href("events", {
            team: scope.teamId,
            project: issue.project_id,
            issue_id: issue.id,
            data_mode: "all",
          })}
        >
          All its events in the explorer
        </a>
      </p>
      <h3>Latest event</h3>
      {latest ? (
        <LatestEvent
          event={latest}
          link={href("events", {
            team: scope.teamId,
            project: issue.project_id,
            issue_id: issue.id,
            event: latest.id,
            data_mode: "all",
          })}
        />
      ) : (
        <p class="muted">—</p>
      )}
      <h3>Files</h3>
      {detail?.attachments.length === 0 && <p class="muted">None</p>}
      <ul class="attachments" data-testid="issue-attachments">
        {detail?.attachments.map((a) => (
          <li key={a.id}>
            <button type="button" class="link" onClick={() => downloadAttachment(a.id, a.original_filename)}>
              {a.original_filename}
            </button>{" "}
            <span class="muted">
              {minute(a.created_at)}, {a.size_bytes.toLocaleString()} bytes
            </span>
          </li>
        ))}
      </ul>
      <h3>Sessions</h3>
      <ul class="occurrences">
        {detail?.occurrences.slice(0, 10).map((o) => (
          <li key={o.session_id}>
            <a
              href={href("events", {
                team: scope.teamId,
                project: issue.project_id,
                session_id: o.session_id,
                data_mode: "all",
              })}
            >
              {minute(o.timestamp)}
            </a>{" "}
            <span class="muted">
              {o.user_id ?? "anonymous"} {o.app_version ? `· ${o.app_version}` : ""}
            </span>
          </li>
        ))}
      </ul>
      <CommentThread
        path={path}
        comments={detail?.comments}
        onAdded={() => setVersion((v) => v + 1)}
        testId="issue-comment-form"
      />
    </aside>
  );
}

type Frame = { function?: string; module?: string; filename?: string; lineno?: number; in_app?: boolean };

/** The newest event: its message and where it was thrown (Sentry's frames, or Owlmetry's _error_stack). */
function LatestEvent({ event, link }: { event: EventDetail; link: string }) {
  const payload = (
    event as {
      payload?: {
        exception?: { values?: Array<{ type?: string; value?: string; stacktrace?: { frames?: Frame[] } }> };
      } | null;
    }
  ).payload;
  const exceptions = payload?.exception?.values ?? [];
  const stack = event.custom_attributes._error_stack;
  return (
    <div class="latest-event" data-testid="latest-event">
      <p>
        <a href={link}>{minute(event.timestamp)}</a> <span class="muted">{event.user_id ?? "anonymous"}</span>
      </p>
      {exceptions.map((x, i) => (
        <div key={i}>
          <strong>{x.type}</strong>: {x.value}
          <ol class="frames" data-testid="frames">
            {[...(x.stacktrace?.frames ?? [])].reverse().map((f, j) => (
              <li key={j} class={f.in_app ? "in-app" : "muted"}>
                {f.function ?? "?"}{" "}
                <span class="muted">
                  {f.module ?? f.filename ?? ""}
                  {f.lineno ? `:${f.lineno}` : ""}
                </span>
              </li>
            ))}
          </ol>
        </div>
      ))}
      {stack && (
        <pre class="frames" data-testid="frames">
          {stack}
        </pre>
      )}
      {exceptions.length === 0 && !stack && <p>{event.message}</p>}
    </div>
  );
}
