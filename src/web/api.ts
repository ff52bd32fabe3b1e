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

/** Downloads an attachment through its short-lived signed URL. */
export async function downloadAttachment(id: string, name: string): Promise<void> {
  const a = await get<{ download_url: string }>(`/v1/attachments/${id}`);
  const link = document.createElement("a");
  link.href = a.download_url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

export async function signIn(email: string, password: string): Promise<void> {
  const r = await api<{ token: string }>("POST", "/v1/auth/login", { email, password });
  localStorage.setItem(TOKEN, r.token);
}

export type {
  App,
  AppUser,
  Event as EventRow,
  EventDetail,
  Experiment,
  Feedback,
  FeedbackComment,
  FeedbackDetail,
  Funnel,
  FunnelAnalytics,
  FunnelStep,
  Issue,
  IssueDetail,
  Key,
  Me,
  Metric,
  MetricAggregation,
  MetricStat,
  Project,
  Stats,
  StatsGroup,
  Team,
} from "../shared/api-types";

export const qs = (params: Record<string, string | string[] | undefined | null>) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  }
  return out.toString();
};
