import { useState } from "preact/hooks";
import { api, type Feedback, type FeedbackDetail, get } from "../api";
import { CommentThread } from "../components/comments";
import { Choice, DATA_MODES, minute } from "../components/fields";
import { useLatest, usePages } from "../latest";
import { go, href } from "../route";
import type { Scope } from "../scope";

const STATUSES: ReadonlyArray<readonly [string, string]> = [
  ["new", "New"],
  ["in_review", "In review"],
  ["addressed", "Addressed"],
  ["dismissed", "Dismissed"],
];

/** What apps' users wrote through Owlmetry's feedback call, newest first, with its triage. */
export function FeedbackPage({ scope, params }: { scope: Scope; params: Record<string, string> }) {
  const [version, setVersion] = useState(0);
  const nav = (change: Record<string, string | undefined>) =>
    go("feedback", { team: scope.teamId, project: scope.projectId || undefined, ...params, ...change });
  const query = {
    team_id: scope.teamId,
    project_id: scope.projectId || undefined,
    status: params.status,
    data_mode: params.mode ?? "production",
    limit: "50",
  };
  const { items, cursor, error, more } = usePages<Feedback>(
    [scope.teamId, scope.projectId, params.status, params.mode, version],
    "/v1/feedback",
    "feedback",
    query,
  );
  const open = items.find((f) => f.id === params.item);
  return (
    <section class="page feedback">
      <div class="filters">
        <Choice
          label="Status"
          value={params.status ?? ""}
          first={["", "Any status"]}
          options={STATUSES}
          onChange={(status) => nav({ status: status || undefined, item: undefined })}
        />
        <Choice
          label="Data"
          value={params.mode ?? "production"}
          options={DATA_MODES}
          onChange={(mode) => nav({ mode, item: undefined })}
        />
      </div>
      {error && <p class="error">{error}</p>}
      <div class="split">
        <div class="table-wrap">
          {items.length === 0 && !error ? (
            <p class="empty">No feedback yet. Apps send it with Owlmetry's sendFeedback.</p>
          ) : (
            <table class="event-table" data-testid="feedback-table">
              <thead>
                <tr>
                  <th>Received</th>
                  <th>Message</th>
                  <th>From</th>
                  <th>App</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {items.map((f) => (
                  <tr
                    key={f.id}
                    class={f.id === params.item ? "selected" : ""}
                    onClick={() => nav({ item: f.id })}
                  >
                    <td>{minute(f.created_at)}</td>
                    <td>{f.message.length > 90 ? `${f.message.slice(0, 90)}…` : f.message}</td>
                    <td>{f.submitter_name ?? f.submitter_email ?? f.user_id ?? "—"}</td>
                    <td>{f.app_name ?? ""}</td>
                    <td>{STATUSES.find(([s]) => s === f.status)?.[1] ?? f.status}</td>
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
          <FeedbackPanel
            item={open}
            scope={scope}
            onClose={() => nav({ item: undefined })}
            onChanged={() => setVersion((v) => v + 1)}
          />
        )}
      </div>
    </section>
  );
}

function FeedbackPanel({
  item,
  scope,
  onClose,
  onChanged,
}: {
  item: Feedback;
  scope: Scope;
  onClose: () => void;
  onChanged: () => void;
}) {
  const [detail, setDetail] = useState<FeedbackDetail | null>(null);
  const [version, setVersion] = useState(0);
  const path = `/v1/projects/${item.project_id}/feedback/${item.id}`;
  useLatest([path, version], () => get<FeedbackDetail>(path), setDetail);
  const setStatus = async (status: string) => {
    await api("PATCH", path, { status });
    setVersion((v) => v + 1);
    onChanged();
  };

  return (
    <aside class="panel" data-testid="feedback-panel">
      <button type="button" class="close" onClick={onClose} aria-label="Close">
        ×
      </button>
      <h2>{item.message}</h2>
      <Choice label="Status" value={detail?.status ?? item.status} options={STATUSES} onChange={setStatus} />
      <dl>
        {(
          [
            ["From", item.submitter_name],
            ["Email", item.submitter_email],
            ["App", item.app_name ?? item.app_id],
            ["Version", item.app_version],
            ["Screen", item.screen_name],
            ["Device", [item.device_model, item.os_version].filter(Boolean).join(" ") || null],
            ["SDK", item.sdk_name ? `${item.sdk_name} ${item.sdk_version ?? ""}` : null],
          ] as const
        ).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v ?? "—"}</dd>
          </div>
        ))}
      </dl>
      {item.user_id && (
        <p>
          <a href={href("events", { team: scope.teamId, project: item.project_id, user_id: item.user_id })}>
            Events of {item.user_id}
          </a>
          {item.session_id && (
            <>
              {" · "}
              <a
                href={href("events", {
                  team: scope.teamId,
                  project: item.project_id,
                  session_id: item.session_id,
                })}
              >
                this session
              </a>
            </>
          )}
        </p>
      )}
      {item.user_properties && (
        <>
          <h3>User properties</h3>
          <table class="kv">
            <tbody>
              {Object.entries(item.user_properties).map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <CommentThread
        path={path}
        comments={detail?.comments}
        onAdded={() => setVersion((v) => v + 1)}
        testId="comment-form"
      />
    </aside>
  );
}
