import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, type Me, type Project, signOut, token, whenSignedOut } from "./api";
import { Choice } from "./components/fields";
import { useLatest } from "./latest";
import { EventsPage } from "./pages/events";
import { FeedbackPage } from "./pages/feedback";
import { FunnelsPage } from "./pages/funnels";
import { IssuesPage } from "./pages/issues";
import { LoginPage } from "./pages/login";
import { MetricsPage } from "./pages/metrics";
import { SettingsPage } from "./pages/settings";
import { StatsPage } from "./pages/stats";
import { go, href, useRoute } from "./route";
import type { Scope } from "./scope";

function App() {
  const [signedIn, setSignedIn] = useState(Boolean(token()));
  useEffect(() => whenSignedOut(() => setSignedIn(false)), []);
  if (!signedIn) return <LoginPage onSignedIn={() => setSignedIn(true)} />;
  return <Shell />;
}

function Shell() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [projects, setProjects] = useState<Project[]>([]);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    get<Me>("/v1/auth/me").then(setMe, () => signOut());
  }, []);
  const team = me?.teams.find((t) => t.id === route.params.team) ?? me?.teams[0];
  useLatest(
    [team?.id, version],
    () => (team ? get<{ projects: Project[] }>(`/v1/projects?team_id=${team.id}`) : null),
    (r) => setProjects(r.projects),
  );
  if (!me) return <div class="loading">Loading…</div>;
  if (!team) return <div class="empty">You belong to no team yet.</div>;
  const scope: Scope = {
    me,
    teamId: team.id,
    teamSlug: team.slug,
    projectId: projects.some((p) => p.id === route.params.project) ? (route.params.project as string) : "",
    projects,
    reloadProjects: () => setVersion((v) => v + 1),
  };
  const keep = { team: team.id, project: scope.projectId || undefined };
  const pages = [
    ["stats", "Stats"],
    ["events", "Events"],
    ["issues", "Issues"],
    ["metrics", "Metrics"],
    ["funnels", "Funnels"],
    ["feedback", "Feedback"],
    ["settings", "Settings"],
  ] as const;
  return (
    <div class="shell">
      <header>
        <span class="brand">Roost</span>
        <nav>
          {pages.map(([page, label]) => (
            <a key={page} href={href(page, keep)} class={route.page === page ? "active" : ""}>
              {label}
            </a>
          ))}
        </nav>
        <Choice
          label="Team"
          value={team.id}
          options={me.teams.map((t) => [t.id, t.name] as const)}
          onChange={(id) => go(route.page, { team: id })}
        />
        <Choice
          label="Project"
          value={scope.projectId}
          first={["", "All projects"]}
          options={projects.map((p) => [p.id, p.name] as const)}
          onChange={(id) => go(route.page, { team: team.id, project: id })}
        />
        <span class="who">
          {me.user.email}{" "}
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        {route.page === "events" ? (
          <EventsPage scope={scope} params={route.params} />
        ) : route.page === "issues" ? (
          <IssuesPage scope={scope} params={route.params} />
        ) : route.page === "metrics" ? (
          <MetricsPage scope={scope} params={route.params} />
        ) : route.page === "funnels" ? (
          <FunnelsPage scope={scope} params={route.params} />
        ) : route.page === "feedback" ? (
          <FeedbackPage scope={scope} params={route.params} />
        ) : route.page === "settings" ? (
          <SettingsPage scope={scope} />
        ) : (
          <StatsPage scope={scope} params={route.params} />
        )}
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
