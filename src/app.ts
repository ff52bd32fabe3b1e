import { jwt } from "@elysiajs/jwt";
import type { Config } from "./config";
import { httpShell, rateLimits } from "./http";
import { useFastFormats } from "./lib/formats";
import type { Logger } from "./lib/log";
import { loadOrCreateSecret } from "./lib/secret";
import { UrlSigner } from "./lib/signed-url";
import { authGuard } from "./modules/access/guard";
import { deriveOnCommit, ensureDerived } from "./modules/analytics/derived";
import { appUsersRoutes } from "./modules/app-users";
import { AppUsersService } from "./modules/app-users/service";
import { appsRoutes } from "./modules/apps";
import { AppContexts } from "./modules/apps/context";
import { findApp } from "./modules/apps/repository";
import { AppsService } from "./modules/apps/service";
import { attachmentsRoutes } from "./modules/attachments";
import { embeddedAttachmentEvents } from "./modules/attachments/repository";
import { AttachmentsService } from "./modules/attachments/service";
import { attributionRoutes } from "./modules/attribution";
import { AttributionService } from "./modules/attribution/service";
import { authRoutes } from "./modules/auth";
import { AuthService, type TokenSigner } from "./modules/auth/service";
import { eventsRoutes } from "./modules/events";
import { duckdbEvents } from "./modules/events/repository";
import { EventsService } from "./modules/events/service";
import { feedbackRoutes } from "./modules/feedback";
import { fileSentryFeedback } from "./modules/feedback/sentry";
import { FeedbackService } from "./modules/feedback/service";
import { funnelsRoutes } from "./modules/funnels";
import { embeddedFunnelReads } from "./modules/funnels/reads";
import { FunnelsService } from "./modules/funnels/service";
import { identityRoutes } from "./modules/identity";
import { embeddedClaimEvents } from "./modules/identity/repository";
import { IdentityService } from "./modules/identity/service";
import { loadIdentityClaims } from "./modules/identity/startup";
import { ingestRoutes } from "./modules/ingest";
import { Quotas } from "./modules/ingest/quotas";
import { IngestService } from "./modules/ingest/service";
import { issuesRoutes } from "./modules/issues";
import { IssueGrouper } from "./modules/issues/grouper";
import { IssuesService } from "./modules/issues/service";
import { keysRoutes } from "./modules/keys";
import { KeysService } from "./modules/keys/service";
import { mcpRoutes } from "./modules/mcp";
import { roostTools } from "./modules/mcp/tools";
import { metricsRoutes } from "./modules/metrics";
import { embeddedMetricReads } from "./modules/metrics/reads";
import { MetricsService } from "./modules/metrics/service";
import { monitoringRoutes } from "./modules/monitoring";
import { Monitoring } from "./modules/monitoring/service";
import { notificationsRoutes } from "./modules/notifications";
import { NotificationDispatcher, queueIssueNews } from "./modules/notifications/dispatcher";
import { NotificationsService } from "./modules/notifications/service";
import { outcomesRoutes } from "./modules/outcomes";
import { OutcomesService } from "./modules/outcomes/service";
import { RecentTimes } from "./modules/pipeline/recent-times";
import { loadRecentKeys } from "./modules/pipeline/startup";
import { WriteQueue } from "./modules/pipeline/write-queue";
import { projectsRoutes } from "./modules/projects";
import { ProjectsService } from "./modules/projects/service";
import { questionnairesRoutes } from "./modules/questionnaires";
import { QuestionnairesService } from "./modules/questionnaires/service";
import { releasesRoutes } from "./modules/releases";
import { releaseHealth } from "./modules/releases/repository";
import { ReleasesService } from "./modules/releases/service";
import { sentryRoutes } from "./modules/sentry";
import { SentryService } from "./modules/sentry/service";
import { statsRoutes } from "./modules/stats";
import { sumOutcomes } from "./modules/stats/repository";
import { StatsService } from "./modules/stats/service";
import { teamsRoutes } from "./modules/teams";
import { TeamsService } from "./modules/teams/service";
import { BlobStore } from "./store/blobs";
import type { Store } from "./store/db";

export interface Deps {
  store: Store;
  log: Logger;
}

export interface Services {
  auth: AuthService;
  teams: TeamsService;
  projects: ProjectsService;
  apps: AppsService;
  keys: KeysService;
  ingest: IngestService;
  writer: WriteQueue;
  outcomes: OutcomesService;
  attachments: AttachmentsService;
  sentry: SentryService;
  /** The newest event times per app, learnt from commits; bounds the events API's newest pages. */
  recentTimes: RecentTimes;
  identity: IdentityService;
  /** Errors into issues, right behind the commits (modules/issues). */
  grouper: IssueGrouper;
  notifications: NotificationDispatcher;
  /** Prometheus metrics (GET /metrics with ROOST_METRICS_TOKEN). */
  monitoring: Monitoring;
}

/**
 * The Elysia app and its services, without a listening socket: `serve` listens, tests call
 * `handle`. Async because ingest loads its recent dedup and session keys before the first request.
 */
export async function createApp(config: Config, deps: Deps) {
  const { store, log } = deps;
  useFastFormats();
  const secret = loadOrCreateSecret(config.dataDir, config.jwtSecret);
  const signer = jwt({ name: "jwt", secret, alg: "HS256" }).decorator.jwt as unknown as TokenSigner;
  const auth = new AuthService(store, signer, config.jwtTtlSeconds, log);
  const { eventKeys, sessionKeys } = await loadRecentKeys(store, log);
  const contexts = new AppContexts(store);
  const attachments = new AttachmentsService(
    store,
    BlobStore.of(config.dataDir),
    new UrlSigner(secret),
    embeddedAttachmentEvents(store, eventKeys),
    contexts,
    { ...config.attachments, publicUrl: config.publicUrl },
    log,
  );
  await attachments.start();
  // Each commit links the attachments that wait for the events it stores, files Sentry's user
  // feedback as feedback, derives metric and funnel rows, and tells the events API the newest
  // times of each app.
  const recentTimes = new RecentTimes();
  const claims = await loadIdentityClaims(store, log);
  await ensureDerived(store, log);
  // Issue news goes out through the outbox the grouping rounds fill (decision 011).
  let dispatcher: NotificationDispatcher | null = null;
  const grouper = new IssueGrouper(
    store,
    log,
    { queue: (tx, result, now) => queueIssueNews(tx, result, now), after: () => dispatcher?.wake() },
    (projectId, userId) => claims.resolve(projectId, userId),
  );
  const writer = new WriteQueue(
    store,
    eventKeys,
    sessionKeys,
    log,
    async (tx, events, updates) => {
      await attachments.linkEvents(tx, events);
      await fileSentryFeedback(tx, events);
      await deriveOnCommit(tx, events, updates);
      // An import's update of an error is not a new error: its issue counted it on arrival.
      return grouper.collect(updates.size === 0 ? events : events.filter((e) => !updates.has(e)));
    },
    recentTimes,
    claims,
  );
  await grouper.start(writer);
  const monitoring = new Monitoring(store, () => writer.depth);
  writer.watch((outcomes, ms) => monitoring.committed(outcomes, ms));
  dispatcher = new NotificationDispatcher(store, writer, config.notifications, config.version, log);
  dispatcher.start();
  const quotas = new Quotas();
  const ingest = new IngestService(contexts, writer, quotas);
  const events = new EventsService(store, duckdbEvents(store), attachments, recentTimes, claims);
  const changed = () => {
    auth.forgetKeys();
    contexts.forget();
    events.forget();
  };
  const services: Services = {
    auth,
    teams: new TeamsService(store),
    projects: new ProjectsService(store, changed),
    apps: new AppsService(store, changed),
    keys: new KeysService(store, changed, findApp),
    ingest,
    writer,
    outcomes: new OutcomesService(store, writer),
    attachments,
    sentry: new SentryService(auth, contexts, writer, quotas, attachments),
    recentTimes,
    identity: new IdentityService(store, writer, claims, contexts, embeddedClaimEvents(store)),
    grouper,
    notifications: dispatcher,
    monitoring,
  };
  const issues = new IssuesService(store, writer, grouper);
  const metrics = new MetricsService(store, writer, embeddedMetricReads(store));
  const stats = new StatsService(store, (projectIds, p) => sumOutcomes(store, projectIds, p));
  const tools = roostTools({
    events,
    projects: services.projects,
    apps: services.apps,
    stats,
    issues,
    metrics,
  });
  const guard = authGuard(auth, rateLimits(config));
  const app = httpShell(config, log, (method, route, status, ms) =>
    monitoring.request(method, route, status, ms),
  )
    .use(monitoringRoutes(monitoring, config.metricsToken))
    .use(authRoutes(guard, auth, store))
    .use(teamsRoutes(guard, services.teams))
    .use(projectsRoutes(guard, services.projects))
    .use(appsRoutes(guard, services.apps, config.publicUrl))
    .use(keysRoutes(guard, services.keys, config.publicUrl))
    .use(ingestRoutes(guard, ingest))
    .use(identityRoutes(guard, services.identity))
    .use(attributionRoutes(guard, new AttributionService(contexts, services.identity, config.attribution)))
    .use(feedbackRoutes(guard, new FeedbackService(store, writer, contexts, claims, attachments)))
    .use(issuesRoutes(guard, issues))
    .use(metricsRoutes(guard, metrics))
    .use(funnelsRoutes(guard, new FunnelsService(store, writer, embeddedFunnelReads(store))))
    .use(
      notificationsRoutes(
        guard,
        new NotificationsService(store, writer, config.notifications.smtpUrl !== null),
      ),
    )
    .use(questionnairesRoutes(guard, new QuestionnairesService(store, writer, contexts, services.identity)))
    .use(attachmentsRoutes(guard, attachments))
    .use(outcomesRoutes(guard, services.outcomes))
    .use(sentryRoutes(services.sentry))
    .use(statsRoutes(guard, stats))
    .use(mcpRoutes((authorization) => auth.identify(authorization), tools, config.version))
    .use(eventsRoutes(guard, events))
    .use(appUsersRoutes(guard, new AppUsersService(store, events)))
    .use(releasesRoutes(guard, new ReleasesService((...q) => releaseHealth(store, ...q), events)));

  return { app, services };
}

export type App = Awaited<ReturnType<typeof createApp>>["app"];
