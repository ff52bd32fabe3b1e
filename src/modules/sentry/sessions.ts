import type { AppContext } from "../apps/context";
import type { ReleaseSessions } from "../pipeline/repository";
import { timeOf } from "./fields";

type Json = Record<string, unknown>;

const HOUR_MS = 3_600_000;
const CLOSING = new Set(["exited", "crashed", "abnormal", "errored"]);
const MAX_RELEASE = 200;

/**
 * Release health from a `session` item (one session's update) or a `sessions` item (aggregates):
 * the counts to store per (release, environment, hour, status), and how many sessions the item
 * reported (its outcome's quantity; 0 when it is unusable: no release, as Sentry requires one).
 * A session's first update (`init`) counts as `started`; its closing update counts under its
 * final status, `errored` for a clean exit that had errors.
 */
export function sessionCounts(
  type: "session" | "sessions",
  item: Json,
  app: AppContext,
  receivedAt: number,
): { rows: ReleaseSessions[]; sessions: number } {
  const attrs = (item.attrs ?? {}) as Json;
  const release = typeof attrs.release === "string" ? attrs.release.slice(0, MAX_RELEASE) : "";
  if (release === "") return { rows: [], sessions: 0 };
  const environment = typeof attrs.environment === "string" ? attrs.environment.slice(0, MAX_RELEASE) : null;
  const rows: ReleaseSessions[] = [];
  const add = (started: unknown, status: string, quantity: number) => {
    if (quantity <= 0) return;
    const at = timeOf(started) ?? receivedAt;
    rows.push({
      projectId: app.project.id,
      appId: app.appId,
      release,
      environment,
      hour: at - (((at % HOUR_MS) + HOUR_MS) % HOUR_MS),
      status,
      quantity,
    });
  };
  if (type === "session") {
    if (item.init === true) add(item.started, "started", 1);
    const status = typeof item.status === "string" ? item.status : "ok";
    if (CLOSING.has(status)) {
      const errored = status === "exited" && typeof item.errors === "number" && item.errors > 0;
      add(item.started, errored ? "errored" : status, 1);
    }
    return { rows, sessions: 1 };
  }
  let sessions = 0;
  for (const aggregate of Array.isArray(item.aggregates) ? item.aggregates : []) {
    const a = (aggregate ?? {}) as Json;
    const count = (key: string) =>
      typeof a[key] === "number" && (a[key] as number) > 0 ? (a[key] as number) : 0;
    const total = count("exited") + count("errored") + count("crashed") + count("abnormal");
    add(a.started, "started", total);
    for (const status of CLOSING) add(a.started, status, count(status));
    sessions += total;
  }
  return { rows, sessions };
}
