import { jwt } from "@elysiajs/jwt";
import type { Config } from "../config";
import { httpShell, rateLimits } from "../http";
import { useFastFormats } from "../lib/formats";
import type { Logger } from "../lib/log";
import { UrlSigner } from "../lib/signed-url";
import { authGuard } from "../modules/access/guard";
import { derivedColumns } from "../modules/analytics/repository.clickhouse";
import { appUsersRoutes } from "../modules/app-users";
import { foldAllUserCounts, recordUserCounts } from "../modules/app-users/repository.cluster";
import { AppUsersService } from "../modules/app-users/service";
import { appsRoutes } from "../modules/apps";
import { AppContexts } from "../modules/apps/context";
import { findApp } from "../modules/apps/repository";
import { AppsService } from "../modules/apps/service";
import { attachmentsRoutes } from "../modules/attachments";
import { clusterAttachmentEvents } from "../modules/attachments/repository.cluster";
import { AttachmentsService } from "../modules/attachments/service";
import { attributionRoutes } from "../modules/attribution";
import { AttributionService } from "../modules/attribution/service";
import { authRoutes } from "../modules/auth";
import { AuthService, type TokenSigner } from "../modules/auth/service";
import { eventsRoutes } from "../modules/events";
import { clickhouseEvents } from "../modules/events/repository.clickhouse";
import { EventsService } from "../modules/events/service";
import { feedbackRoutes } from "../modules/feedback";
import { fileSentryFeedback } from "../modules/feedback/sentry";
import { FeedbackService } from "../modules/feedback/service";
import { funnelsRoutes } from "../modules/funnels";
import { clickhouseFunnelReads } from "../modules/funnels/repository.clickhouse";
import { FunnelsService } from "../modules/funnels/service";
import { identityRoutes } from "../modules/identity";
import { IdentityClaims } from "../modules/identity/claims";
import { loadClaims } from "../modules/identity/repository";
import { clusterClaimEvents } from "../modules/identity/repository.cluster";
import { IdentityService } from "../modules/identity/service";
import { ingestRoutes } from "../modules/ingest";
import { SharedQuotas } from "../modules/ingest/quotas.cluster";
import { IngestService } from "../modules/ingest/service";
import { issuesRoutes } from "../modules/issues";
import { IssuesService } from "../modules/issues/service";
import { keysRoutes } from "../modules/keys";
import { KeysService } from "../modules/keys/service";
import { mcpRoutes } from "../modules/mcp";
import { roostTools } from "../modules/mcp/tools";
import { metricsRoutes } from "../modules/metrics";
import { clickhouseMetricReads } from "../modules/metrics/repository.clickhouse";
import { MetricsService } from "../modules/metrics/service";
import { monitoringRoutes } from "../modules/monitoring";
import { Monitoring } from "../modules/monitoring/service";
import { notificationsRoutes } from "../modules/notifications";
import { NotificationDispatcher } from "../modules/notifications/dispatcher";
import { NotificationsService } from "../modules/notifications/service";
import { outcomesRoutes } from "../modules/outcomes";
import { OutcomesService } from "../modules/outcomes/service";
import { ClusterWriter } from "../modules/pipeline/cluster-writer";
import { RecentTimes } from "../modules/pipeline/recent-times";
import { projectsRoutes } from "../modules/projects";
import { ProjectsService } from "../modules/projects/service";
import { questionnairesRoutes } from "../modules/questionnaires";
import { QuestionnairesService } from "../modules/questionnaires/service";
import { releasesRoutes } from "../modules/releases";
import { releaseHealthClickHouse } from "../modules/releases/repository.clickhouse";
import { ReleasesService } from "../modules/releases/service";
import { sentryRoutes } from "../modules/sentry";
import { SentryService } from "../modules/sentry/service";
import { statsRoutes } from "../modules/stats";
import { sumOutcomesClickHouse } from "../modules/stats/repository.clickhouse";
import { StatsService } from "../modules/stats/service";
import { teamsRoutes } from "../modules/teams";
import { TeamsService } from "../modules/teams/service";
import { BlobStore } from "../store/blobs";
import type { ClickHouse } from "../store/clickhouse/client";
import type { PgStore } from "../store/postgres/db";
import { sharedSetting, sharedVersions } from "../store/postgres/settings";
import { IssueFeed } from "./issue-feed";
import { SharedRateLimiter } from "./rate-limit";
import { UserCountFolder } from "./user-counts";

/**
 * A merge needs no wait on a cluster: rounds run on the grouping node under the same write lock,
 * and that node reloads its memory when a merge moved it (its feed's `stale` check).
 */
const MERGES_NEED_NO_WAIT = {
  exclusive: <T>(work: () => Promise<T>) => work(),
  merged: () => {},
};

export interface ClusterDeps {
  pg: PgStore;
  ch: ClickHouse;
  log: Logger;
}

/**
 * A stateless Roost node of a cluster (ROOST_STORE=clickhouse, decision 017): every route of the
 * embedded app (tests/cluster/routes.cluster.ts), with its services and contracts, on PostgreSQL
 * (control plane, dedup claims, quotas, users, issues, definitions) and ClickHouse (events,
 * outcomes, release health, the metric and step columns). Attachment bytes are in a directory
 * every node shares.
 */
export async function createClusterApp(config: Config, deps: ClusterDeps) {
  const { pg, ch, log } = deps;
  useFastFormats();
  // Every node signs and checks sessions with one secret, kept in PostgreSQL.
  const secret =
    config.jwtSecret ??
    (await sharedSetting(pg, "jwt_secret", () =>
      Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url"),
    ));
  const signer = jwt({ name: "jwt", secret, alg: "HS256" }).decorator.jwt as unknown as TokenSigner;
  const auth = new AuthService(pg, signer, config.jwtTtlSeconds, log);
  const contexts = new AppContexts(pg);
  // Every node knows every claim: loaded now, again whenever another node records one. The versions
  // are read first, so a change made meanwhile is seen at the first request.
  let seen = await sharedVersions(pg);
  const claims = new IdentityClaims();
  claims.replace(await loadClaims(pg));
  // Each round files Sentry's user feedback, stores a metric's or a step's fields on its row, and
  // records the tallies of its users (folded into app_users off the write path).
  const writer = new ClusterWriter(pg, ch, log, claims, {
    filed: fileSentryFeedback,
    columns: derivedColumns,
    counted: recordUserCounts,
  });
  // Prometheus: requests, outcomes, rounds and the write queue of this node (no store gauges).
  const monitoring = new Monitoring(null, () => writer.depth);
  writer.watch((outcomes, ms) => monitoring.committed(outcomes, ms));
  const quotas = new SharedQuotas(pg);
  const ingest = new IngestService(contexts, writer, quotas);
  // Attachment bytes in the directory every node shares, their rows in PostgreSQL.
  const blobs = new BlobStore(config.sharedAttachmentsDir as string);
  const attachments = new AttachmentsService(
    pg,
    blobs,
    new UrlSigner(secret),
    clusterAttachmentEvents(pg, ch),
    contexts,
    { ...config.attachments, publicUrl: config.publicUrl },
    log,
  );
  await attachments.start();
  const events = new EventsService(
    pg,
    clickhouseEvents(ch, claims, pg),
    attachments,
    new RecentTimes(),
    claims,
  );
  const identity = new IdentityService(
    pg,
    pg.shared,
    claims,
    contexts,
    clusterClaimEvents(ch, foldAllUserCounts),
  );
  const changed = () => {
    auth.forgetKeys();
    contexts.forget();
    events.forget();
  };
  const stats = new StatsService(pg, (projectIds, p) => sumOutcomesClickHouse(ch, projectIds, p));
  const issues = new IssuesService(pg, pg.shared, MERGES_NEED_NO_WAIT);
  const projects = new ProjectsService(pg, changed);
  const apps = new AppsService(pg, changed);
  // Metrics and funnels: definitions in PostgreSQL, their events' columns in ClickHouse.
  const metrics = new MetricsService(pg, pg.shared, clickhouseMetricReads(ch, claims));
  const tools = roostTools({ events, projects, apps, stats, issues, metrics });
  // The read APIs' limits hold across nodes: the same buckets, kept in PostgreSQL.
  const guard = authGuard(
    auth,
    rateLimits(config, (name, burst, perSecond) => new SharedRateLimiter(pg, name, burst, perSecond)),
  );
  const app = httpShell(config, log, (method, route, status, ms) =>
    monitoring.request(method, route, status, ms),
  )
    // Another node's change, before the request is served: to keys, apps or projects drops this
    // node's caches; a claim reloads the claims.
    .onRequest(async () => {
      const now = await sharedVersions(pg);
      if (now.control !== seen.control) changed();
      if (now.claims !== seen.claims) claims.replace(await loadClaims(pg));
      seen = now;
    })
    .use(monitoringRoutes(monitoring, config.metricsToken))
    .use(authRoutes(guard, auth, pg))
    .use(teamsRoutes(guard, new TeamsService(pg)))
    .use(projectsRoutes(guard, projects))
    .use(appsRoutes(guard, apps, config.publicUrl))
    .use(keysRoutes(guard, new KeysService(pg, changed, findApp), config.publicUrl))
    .use(ingestRoutes(guard, ingest))
    .use(outcomesRoutes(guard, new OutcomesService(pg, writer)))
    .use(statsRoutes(guard, stats))
    .use(eventsRoutes(guard, events))
    // Users from the counts in PostgreSQL, every round's folded in first: no unsealed rows to add.
    .use(appUsersRoutes(guard, new AppUsersService(pg, events, () => pg.atomic(foldAllUserCounts))))
    .use(attachmentsRoutes(guard, attachments))
    .use(sentryRoutes(new SentryService(auth, contexts, writer, quotas, attachments)))
    .use(identityRoutes(guard, identity))
    .use(attributionRoutes(guard, new AttributionService(contexts, identity, config.attribution)))
    .use(feedbackRoutes(guard, new FeedbackService(pg, pg.shared, contexts, claims, attachments)))
    .use(questionnairesRoutes(guard, new QuestionnairesService(pg, pg.shared, contexts, identity)))
    .use(issuesRoutes(guard, issues))
    .use(metricsRoutes(guard, metrics))
    .use(funnelsRoutes(guard, new FunnelsService(pg, pg.shared, clickhouseFunnelReads(ch, claims))))
    .use(
      notificationsRoutes(
        guard,
        new NotificationsService(pg, pg.shared, config.notifications.smtpUrl !== null),
      ),
    )
    .use(mcpRoutes((authorization) => auth.identify(authorization), tools, config.version))
    .use(releasesRoutes(guard, new ReleasesService((...q) => releaseHealthClickHouse(ch, ...q), events)));
  // One node groups errors into issues: whichever holds the lock (cluster/issue-feed.ts).
  const issueFeed = new IssueFeed(
    pg,
    ch,
    claims,
    log,
    () => new NotificationDispatcher(pg, pg.shared, config.notifications, config.version, log),
  );
  monitoring.watchGrouping(() => issueFeed.grouping);
  const userCounts = new UserCountFolder(pg, log);
  return { app, services: { auth, writer }, blobs, issueFeed, userCounts };
}
