/** The dashboard's only way to the server: the same public API any client uses, with a session token. */

const TOKEN = "roost.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => {};
export const whenSignedOut = (f: () => void) => {
  onSignedOut = f;
};

export const token = () => localStorage.getItem(TOKEN);
export const signOut = () => {
  localStorage.removeItem(TOKEN);
  onSignedOut();
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await r.json().catch(() => ({}))) as Record<string, unknown>;
  if (r.status === 401 && t) signOut();
  if (!r.ok) throw new ApiError(r.status, String(data.error ?? data.detail ?? `HTTP ${r.status}`));
  return data as T;
}

export const get = <T>(path: string) => api<T>("GET", path);

export async function signIn(email: string, password: string): Promise<void> {
  const r = await api<{ token: string }>("POST", "/v1/auth/login", { email, password });
  localStorage.setItem(TOKEN, r.token);
}

export interface Team {
  id: string;
  name: string;
  slug: string;
  role: string;
}
export interface Me {
  type: "user";
  user: { id: string; email: string; name: string };
  teams: Team[];
}
export interface Project {
  id: string;
  team_id: string;
  name: string;
  slug: string;
}
export interface App {
  id: string;
  project_id: string;
  team_id: string;
  name: string;
  platform: string;
  bundle_id: string | null;
}
export interface Key {
  id: string;
  kind: "client" | "agent" | "import";
  name: string;
  prefix: string;
  team_id: string;
  app_id: string | null;
  permissions: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
export interface EventRow {
  id: string;
  app_id: string;
  client_event_id: string;
  session_id: string;
  user_id: string | null;
  level: string;
  message: string;
  screen_name: string | null;
  environment: string;
  timestamp: string;
  [field: string]: unknown;
}
export interface EventDetail extends EventRow {
  project_id: string;
  custom_attributes: Record<string, string>;
  experiments: Record<string, string> | null;
  attachments: Array<{
    id: string;
    original_filename: string;
    content_type: string;
    size_bytes: number;
    uploaded_at: string;
  }>;
}
export interface StatsGroup {
  by: Record<string, string>;
  totals: Record<string, number>;
  series?: Record<string, number[]>;
}
export interface Stats {
  start: string;
  end: string;
  intervals?: string[];
  groups: StatsGroup[];
}

export const qs = (params: Record<string, string | string[] | undefined | null>) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  }
  return out.toString();
};
