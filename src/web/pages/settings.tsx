import { useState } from "preact/hooks";
import { type App, api, get, type Key } from "../api";
import { minute, RenameButton } from "../components/fields";
import { useLatest } from "../latest";
import type { Scope } from "../scope";

interface Secret {
  title: string;
  secret: string;
  kind: string;
  /** A new app's client key as a Sentry DSN, with its Sentry.init line. */
  sentry?: { dsn: string; init: string };
}

/** Projects, apps and keys: create, rename, revoke. A new secret is shown once. */
export function SettingsPage({ scope }: { scope: Scope }) {
  const [apps, setApps] = useState<App[]>([]);
  const [keys, setKeys] = useState<Key[]>([]);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [error, setError] = useState("");
  const [version, setVersion] = useState(0);
  const refresh = () => setVersion((v) => v + 1);
  useLatest(
    [scope.teamId, version],
    () => get<{ apps: App[] }>("/v1/apps"),
    (r) => setApps(r.apps.filter((a) => a.team_id === scope.teamId)),
  );
  useLatest(
    [scope.teamId, version],
    () => get<{ keys: Key[] }>(`/v1/keys?team_id=${scope.teamId}`),
    (r) => setKeys(r.keys),
    () => setKeys([]),
  );
  const attempt = async (work: () => Promise<void>) => {
    setError("");
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const form = (e: Event) => {
    e.preventDefault();
    const el = e.target as HTMLFormElement;
    const data = Object.fromEntries(new FormData(el)) as Record<string, string>;
    el.reset();
    return data;
  };

  const createProject = (e: Event) => {
    const { name } = form(e);
    attempt(async () => {
      await api("POST", "/v1/projects", { team_id: scope.teamId, name });
      scope.reloadProjects();
    });
  };
  const rename = (kind: "projects" | "apps", id: string, current: string) => {
    const name = prompt("New name", current);
    if (!name || name === current) return;
    attempt(async () => {
      await api("PATCH", `/v1/${kind}/${id}`, { name });
      if (kind === "projects") scope.reloadProjects();
      refresh();
    });
  };
  const createApp = (e: Event) => {
    const { project_id, name, platform, bundle_id } = form(e);
    attempt(async () => {
      const app = await api<App & { client_key: { secret: string; dsn: string; sentry_init: string } }>(
        "POST",
        "/v1/apps",
        {
          project_id,
          name,
          platform,
          ...(bundle_id ? { bundle_id } : {}),
        },
      );
      setSecret({
        title: `Client key for ${app.name}`,
        secret: app.client_key.secret,
        kind: "client",
        sentry: { dsn: app.client_key.dsn, init: app.client_key.sentry_init },
      });
      refresh();
    });
  };
  const createKey = (e: Event) => {
    const el = e.target as HTMLFormElement;
    const permissions = new FormData(el).getAll("permissions").map(String);
    const { kind, name, app_id } = form(e);
    attempt(async () => {
      const key = await api<Key & { secret: string; dsn?: string; sentry_init?: string }>(
        "POST",
        "/v1/keys",
        {
          kind,
          name,
          ...(kind === "agent" ? { team_id: scope.teamId, permissions } : { app_id }),
        },
      );
      setSecret({
        title: `${key.kind} key “${key.name}”`,
        secret: key.secret,
        kind: key.kind,
        sentry: key.dsn && key.sentry_init ? { dsn: key.dsn, init: key.sentry_init } : undefined,
      });
      refresh();
    });
  };
  const revoke = (key: Key) => {
    if (!confirm(`Revoke ${key.name}? Apps using it stop working at once.`)) return;
    attempt(async () => {
      await api("DELETE", `/v1/keys/${key.id}`);
      refresh();
    });
  };

  return (
    <section class="settings">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && <SecretBox secret={secret} onDone={() => setSecret(null)} />}
      <h2>Projects</h2>
      <table data-testid="projects-table">
        <tbody>
          {scope.projects.map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td class="muted">{p.slug}</td>
              <td>
                <RenameButton onClick={() => rename("projects", p.id, p.name)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline" onSubmit={createProject}>
        <input name="name" placeholder="New project name" aria-label="New project name" required />
        <button type="submit">Create project</button>
      </form>

      <h2>Apps</h2>
      <table data-testid="apps-table">
        <tbody>
          {apps.map((a) => (
            <tr key={a.id}>
              <td>{a.name}</td>
              <td class="muted">{a.platform}</td>
              <td class="muted">{scope.projects.find((p) => p.id === a.project_id)?.name}</td>
              <td class="muted">{a.bundle_id ?? ""}</td>
              <td>
                <RenameButton onClick={() => rename("apps", a.id, a.name)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline" onSubmit={createApp}>
        <select name="project_id" aria-label="Project of the new app" required>
          {scope.projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <input name="name" placeholder="App name" aria-label="App name" required />
        <select name="platform" aria-label="Platform">
          <option value="apple">apple</option>
          <option value="android">android</option>
          <option value="web">web</option>
          <option value="backend">backend</option>
        </select>
        <input name="bundle_id" placeholder="Bundle id (not for backend)" aria-label="Bundle id" />
        <button type="submit">Create app</button>
      </form>

      <h2>Keys</h2>
      <table data-testid="keys-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Prefix</th>
            <th>Scope</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} class={k.revoked_at ? "revoked" : ""}>
              <td>{k.name}</td>
              <td>{k.kind}</td>
              <td>
                <code>{k.prefix}</code>
              </td>
              <td class="muted">
                {k.app_id
                  ? (apps.find((a) => a.id === k.app_id)?.name ?? k.app_id)
                  : k.permissions.join(", ")}
              </td>
              <td class="muted">{k.last_used_at ? minute(k.last_used_at) : "never"}</td>
              <td>
                {k.revoked_at ? (
                  <span class="muted">revoked</span>
                ) : (
                  <button type="button" class="link danger" onClick={() => revoke(k)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <KeyForm apps={apps} onSubmit={createKey} />
    </section>
  );
}

function KeyForm({ apps, onSubmit }: { apps: App[]; onSubmit: (e: Event) => void }) {
  const [kind, setKind] = useState("agent");
  return (
    <form class="inline" onSubmit={onSubmit} data-testid="key-form">
      <select
        name="kind"
        aria-label="Key kind"
        value={kind}
        onChange={(e) => setKind((e.target as HTMLSelectElement).value)}
      >
        <option value="agent">agent (reads)</option>
        <option value="client">client (an app sends)</option>
        <option value="import">import (backfills)</option>
      </select>
      <input name="name" placeholder="Key name" aria-label="Key name" required />
      {kind === "agent" ? (
        <span class="perms">
          {["events:read", "org:read", "org:write", "org:admin"].map((p) => (
            <label key={p} class="check">
              <input
                type="checkbox"
                name="permissions"
                value={p}
                defaultChecked={p === "events:read" || p === "org:read"}
              />{" "}
              {p}
            </label>
          ))}
        </span>
      ) : (
        <select name="app_id" aria-label="App of the key" required>
          {apps.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      )}
      <button type="submit">Create key</button>
    </form>
  );
}

function SecretBox({ secret, onDone }: { secret: Secret; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const origin = location.origin;
  const snippet =
    secret.kind === "client"
      ? `# Owlmetry SDKs: point them at Roost\nendpoint: ${origin}\napiKey:   ${secret.secret}\n\n# or by hand\ncurl -X POST ${origin}/v1/ingest -H "Authorization: Bearer ${secret.secret}" \\\n  -H "Content-Type: application/json" \\\n  -d '{"events":[{"client_event_id":"${crypto.randomUUID()}","session_id":"s-1","level":"info","message":"hello","environment":"backend"}]}'`
      : `curl -H "Authorization: Bearer ${secret.secret}" "${origin}/v1/events?limit=10"`;
  return (
    <div class="secret" role="dialog" aria-label="New secret" data-testid="secret-box">
      <h3>{secret.title}</h3>
      <p>Copy it now: this is the only time it is shown.</p>
      <code data-testid="secret">{secret.secret}</code>{" "}
      <button
        type="button"
        onClick={() =>
          navigator.clipboard?.writeText(secret.secret).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? "Copied" : "Copy"}
      </button>
      <pre>{snippet}</pre>
      {secret.sentry && (
        <>
          <p>Sentry's SDKs send to Roost with this DSN:</p>
          <code data-testid="dsn">{secret.sentry.dsn}</code>
          <pre>{secret.sentry.init}</pre>
        </>
      )}
      <button type="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
