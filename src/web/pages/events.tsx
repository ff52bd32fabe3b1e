import { useEffect, useRef, useState } from "preact/hooks";
import { type App, type AppUser, downloadAttachment, type EventDetail, type EventRow, get, qs } from "../api";
import { TextFilter } from "../components/fields";
import { useLatest } from "../latest";
import { go, href, parseRoute } from "../route";
import type { Scope } from "../scope";

const LEVELS = ["debug", "info", "warn", "error"];
const ENVIRONMENTS = ["ios", "ipados", "macos", "watchos", "tvos", "visionos", "android", "web", "backend"];
const FILTERS = [
  "app",
  "level",
  "environment",
  "user_id",
  "session_id",
  "screen_name",
  "since",
  "until",
  "data_mode",
  "issue_id",
] as const;

/** The events explorer: /v1/events filters as controls (kept in the URL), counts, endless table, detail. */
export function EventsPage({ scope, params }: { scope: Scope; params: Record<string, string> }) {
  const [apps, setApps] = useState<App[]>([]);
  useLatest(
    [scope.teamId],
    () => get<{ apps: App[] }>("/v1/apps"),
    (r) => setApps(r.apps.filter((a) => a.team_id === scope.teamId)),
  );
  const filters = {
    team_id: scope.teamId,
    project_id: scope.projectId || undefined,
    app_id: params.app,
    level: params.level,
    environment: params.environment,
    user_id: params.user_id,
    session_id: params.session_id,
    screen_name: params.screen_name,
    since: params.since,
    until: params.until,
    data_mode: params.data_mode,
    issue_id: params.issue_id,
  };
  const query = qs(filters);
  const nav = (change: Record<string, string | undefined>) =>
    go("events", { ...params, team: scope.teamId, project: scope.projectId || undefined, ...change });

  const [count, setCount] = useState<{ count: number; unique_users: number; unique_sessions: number } | null>(
    null,
  );
  const [rows, setRows] = useState<EventRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState("");
  const loading = useRef(false);
  const generation = useRef(0);

  const load = async (from: string | null, reset: boolean) => {
    if (loading.current && !reset) return;
    loading.current = true;
    const mine = ++generation.current;
    try {
      const r = await get<{ events: EventRow[]; cursor: string | null; has_more: boolean }>(
        `/v1/events?${qs({ ...filters, limit: "50", cursor: from ?? undefined })}`,
      );
      if (mine !== generation.current) return;
      setRows((old) => (reset ? r.events : [...old, ...r.events]));
      setCursor(r.cursor);
      setMore(r.has_more);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      if (mine === generation.current) loading.current = false;
    }
  };
  useEffect(() => {
    setError("");
    setRows([]);
    setCount(null);
    load(null, true);
  }, [query]);
  useLatest(
    [query],
    () => get<{ count: number; unique_users: number; unique_sessions: number }>(`/v1/events/count?${query}`),
    setCount,
    (e) => setError(e.message),
  );

  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !more) return;
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && cursor) load(cursor, false);
    });
    seen.observe(el);
    return () => seen.disconnect();
  }, [cursor, more]);

  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const change: Record<string, string | undefined> = {};
    for (const name of FILTERS)
      change[name] = name === "level" ? undefined : String(form.get(name) ?? "") || undefined;
    const levels = form.getAll("level").map(String);
    change.level = levels.length > 0 && levels.length < LEVELS.length ? levels.join(",") : undefined;
    change.event = undefined;
    nav(change);
  };
  const appName = (id: string) => apps.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  const chosenLevels = params.level ? params.level.split(",") : LEVELS;

  return (
    <section class="events">
      <form class="filters" onSubmit={submit} key={query}>
        <label>
          App
          <select name="app" aria-label="App" value={params.app ?? ""}>
            <option value="">All apps</option>
            {apps
              .filter((a) => !scope.projectId || a.project_id === scope.projectId)
              .map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
          </select>
        </label>
        <fieldset>
          <legend>Level</legend>
          {LEVELS.map((l) => (
            <label key={l} class="check">
              <input type="checkbox" name="level" value={l} defaultChecked={chosenLevels.includes(l)} /> {l}
            </label>
          ))}
        </fieldset>
        <label>
          Environment
          <select name="environment" aria-label="Environment" value={params.environment ?? ""}>
            <option value="">Any</option>
            {ENVIRONMENTS.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </label>
        <TextFilter name="user_id" label="User" params={params} placeholder="user id" />
        <TextFilter name="session_id" label="Session" params={params} placeholder="session id" />
        <TextFilter name="screen_name" label="Screen" params={params} />
        <TextFilter name="since" label="Since" params={params} placeholder="24h, 7d or ISO" />
        <TextFilter name="until" label="Until" params={params} placeholder="ISO date" />
        {params.issue_id && <TextFilter name="issue_id" label="Issue" params={params} />}
        <label>
          Data
          <select name="data_mode" aria-label="Data mode" value={params.data_mode ?? ""}>
            <option value="">Production</option>
            <option value="development">Development</option>
            <option value="all">All</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      {error && <p class="error">{error}</p>}
      <p class="count" data-testid="events-count">
        {count
          ? `${count.count.toLocaleString()} events · ${count.unique_users.toLocaleString()} users · ${count.unique_sessions.toLocaleString()} sessions`
          : "Counting…"}
      </p>
      <div class="split">
        <div class="table-wrap">
          <table class="event-table" data-testid="events-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Level</th>
                <th>Message</th>
                <th>App</th>
                <th>Screen</th>
                <th>User</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr
                  key={r.id}
                  data-id={r.id}
                  class={params.event === r.id ? "selected" : ""}
                  onClick={() => nav({ event: r.id })}
                >
                  <td>{r.timestamp.replace("T", " ").slice(0, 19)}</td>
                  <td>
                    <span class={`level ${r.level}`}>{r.level}</span>
                  </td>
                  <td>{r.message}</td>
                  <td>{appName(r.app_id)}</td>
                  <td>{r.screen_name ?? ""}</td>
                  <td>{r.user_id ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div ref={sentinel} class="sentinel">
            {more ? "Loading more…" : rows.length > 0 ? "End of results" : "No events"}
          </div>
        </div>
        {params.event && (
          <EventPanel id={params.event} onClose={() => nav({ event: undefined })} appName={appName} />
        )}
      </div>
    </section>
  );
}

function EventPanel({
  id,
  onClose,
  appName,
}: {
  id: string;
  onClose: () => void;
  appName: (id: string) => string;
}) {
  const [event, setEvent] = useState<EventDetail | null>(null);
  const [error, setError] = useState("");
  useLatest(
    [id],
    () => {
      setEvent(null);
      return get<EventDetail>(`/v1/events/${id}`);
    },
    setEvent,
    (e) => setError(e.message),
  );
  const skip = new Set(["custom_attributes", "experiments", "attachments"]);
  return (
    <aside class="panel" data-testid="event-panel">
      <button type="button" class="close" onClick={onClose} aria-label="Close">
        ×
      </button>
      {error && <p class="error">{error}</p>}
      {!event && !error && <p>Loading…</p>}
      {event && (
        <>
          <h2>{event.message}</h2>
          <dl>
            {Object.entries(event)
              .filter(([k]) => !skip.has(k))
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{k === "app_id" ? `${appName(String(v))} (${v})` : v === null ? "—" : String(v)}</dd>
                </div>
              ))}
          </dl>
          <h3>Attributes</h3>
          <KeyValues values={event.custom_attributes} />
          <h3>Experiments</h3>
          <KeyValues values={event.experiments ?? {}} />
          {event.user_id && <UserSection projectId={event.project_id} userId={event.user_id} />}
          <h3>Attachments</h3>
          {event.attachments.length === 0 ? (
            <p class="muted">None</p>
          ) : (
            <ul class="attachments">
              {event.attachments.map((a) => (
                <li key={a.id}>
                  <button
                    type="button"
                    class="link"
                    onClick={() => downloadAttachment(a.id, a.original_filename)}
                  >
                    Download {a.original_filename}
                  </button>{" "}
                  <span class="muted">
                    {a.content_type}, {a.size_bytes.toLocaleString()} bytes
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </aside>
  );
}

function KeyValues({ values }: { values: Record<string, string> }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <p class="muted">None</p>;
  return (
    <table class="kv">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The event's user: their properties, when they were seen, and a link to all their events. */
function UserSection({ projectId, userId }: { projectId: string; userId: string }) {
  const [user, setUser] = useState<AppUser | null>(null);
  useLatest(
    [projectId, userId],
    () => {
      setUser(null); // never another user's properties under this one's name
      return get<{ users: AppUser[] }>(
        `/v1/app-users?${qs({ project_id: projectId, user_id: userId, data_mode: "all" })}`,
      );
    },
    (r) => setUser(r.users[0] ?? null),
  );
  const route = parseRoute();
  return (
    <div data-testid="user-section">
      <h3>User</h3>
      <p>
        <a href={href("events", { team: route.params.team, project: route.params.project, user_id: userId })}>
          All events of {userId}
        </a>
        {user && (
          <span class="muted">
            {" "}
            · {user.event_count.toLocaleString()} events, first seen {user.first_seen_at.slice(0, 10)}, last
            seen {user.last_seen_at.slice(0, 10)}
            {user.claimed_from ? ` · was ${user.claimed_from.join(", ")}` : ""}
          </span>
        )}
      </p>
      <h3>User properties</h3>
      <KeyValues values={user?.properties ?? {}} />
    </div>
  );
}
