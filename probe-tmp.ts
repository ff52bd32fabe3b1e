import { createApp } from "./src/app";
import { loadConfig } from "./src/config";
import { createLogger } from "./src/lib/log";
import { Store } from "./src/store/db";

const config = {
  ...loadConfig({ data: "/tmp/g10" }, {}),
  logLevel: "silent" as const,
  statsRateLimit: { burst: 1e6, perSecond: 1e6 },
};
const store = await Store.open(config.dataDir, config.duckdb);
const log: string[] = [];
const wrapTx = (tx: any) => ({
  ...tx,
  all: async (sql: string, p: any) => {
    const t = performance.now();
    const r = await tx.all(sql, p);
    log.push(`${(performance.now() - t).toFixed(1)}ms ${sql.replace(/\s+/g, " ").slice(0, 90)}`);
    return r;
  },
});
const origSnap = store.snapshot.bind(store);
(store as any).snapshot = (work: any) => origSnap((tx: any) => work(wrapTx(tx)));
const origRead = store.read.bind(store);
(store as any).read = async (sql: string, p: any) => {
  const t = performance.now();
  const r = await origRead(sql, p);
  log.push(`${(performance.now() - t).toFixed(1)}ms READ ${sql.replace(/\s+/g, " ").slice(0, 90)}`);
  return r;
};
const { app } = await createApp(config, { store, log: createLogger("silent") });
const key = "owl_agent_57b442eb0cfffcfb34b6abdd08576b6322559bc7cb692059";
const me = (await (
  await app.handle(
    new Request("http://localhost/v1/auth/me", { headers: { authorization: `Bearer ${key}` } }),
  )
).json()) as any;
const slug = (
  (await (
    await app.handle(
      new Request(`http://localhost/v1/teams/${me.key.team_id}`, {
        headers: { authorization: `Bearer ${key}` },
      }),
    )
  ).json()) as any
).slug;
for (const q of [
  "interval=1d&start=2026-07-03T00:00:00Z&end=2026-10-01T00:00:00Z",
  "interval=1h&start=2026-09-01T00:00:00Z&end=2026-10-01T00:00:00Z",
]) {
  const path = `/api/0/organizations/${slug}/stats_v2/?field=sum(quantity)&field=sum(times_seen)&groupBy=outcome&groupBy=category&${q}`;
  for (let i = 0; i < 5; i++) {
    log.length = 0;
    const t = performance.now();
    const r = await app.handle(
      new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } }),
    );
    await r.text();
    if (i === 4) {
      console.log(q, "total", (performance.now() - t).toFixed(1), r.status);
      console.log(log.join("\n"));
    }
  }
}
await store.close();
