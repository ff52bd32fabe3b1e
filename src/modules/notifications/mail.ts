import type { IssueNews } from "./repository";
import type { Mail } from "./smtp";

type News = Omit<IssueNews, "id" | "project_id" | "project_name" | "app_id">;

const line = (i: News) =>
  `#${i.short_id} ${i.title}\n  ${i.app_name ?? ""}: ${i.event_count} events, ${i.occurrence_count} sessions, ` +
  `${i.unique_user_count} users; last seen ${i.last_seen_at}${i.last_seen_app_version ? ` in ${i.last_seen_app_version}` : ""}`;

/** A notification's payload (the webhook's JSON) as a plain-text mail to `to`. */
export function mailOf(to: string, payloadText: string): Mail {
  const p = JSON.parse(payloadText) as {
    event: string;
    project: { name: string } | null;
    issue?: News;
    issues?: News[];
    since?: string;
  };
  const project = p.project?.name ?? "Roost";
  if (p.event === "issue.digest") {
    const issues = p.issues ?? [];
    return {
      to,
      subject: `[${project}] ${issues.length} new or regressed ${issues.length === 1 ? "issue" : "issues"}`,
      text: `New or regressed since ${p.since}:\n\n${issues.map(line).join("\n\n")}\n`,
    };
  }
  const issue = p.issue as News;
  const what = p.event === "issue.regressed" ? "Regressed" : "New issue";
  return { to, subject: `[${project}] ${what}: ${issue.title}`, text: `${line(issue)}\n` };
}
