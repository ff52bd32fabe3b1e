// A program instrumented with a real Sentry SDK, run as its own process by the Sentry ingest tests
// (the SDK instruments its process globally): `node sentry-client.mjs @sentry/node <dsn>`, or
// `bun sentry-client.mjs @sentry/bun <dsn>`. It sends one of each thing the tests check, flushes,
// and prints what it sent as one line of JSON. With a third argument, `quota`, it sends three
// errors one after the other instead, each flushed before the next.
const [sdk, dsn, mode] = process.argv.slice(2);
const Sentry = await import(sdk);

if (mode === "quota") {
  Sentry.init({ dsn, sendClientReports: true });
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.push(Sentry.captureException(new Error(`error ${i}`)));
    await Sentry.flush(5_000);
  }
  console.log(JSON.stringify({ ids }));
  await Sentry.close(2_000);
  process.exit(0);
}

Sentry.init({
  dsn,
  release: "shop@2.4.1+77",
  environment: "staging",
  tracesSampleRate: 1,
  enableLogs: true,
  sendClientReports: true,
  // Dropped here, so the SDK reports a `before_send` discard in its client report.
  beforeSend: (event) => (event.message === "drop me" ? null : event),
});

function checkout(items) {
  if (items < 1) throw new TypeError(`cannot check out ${items} items`);
}

const sent = { messages: {} };
try {
  checkout(0);
} catch (error) {
  sent.exception = Sentry.captureException(error);
}
for (const level of ["fatal", "error", "warning", "info", "debug"]) {
  sent.messages[level] = Sentry.captureMessage(`message at ${level}`, level);
}
Sentry.captureMessage("drop me");
Sentry.startSpan({ name: "checkout", op: "http.server" }, () => {
  Sentry.startSpan({ name: "load cart", op: "db.query" }, () => {});
  Sentry.startSpan({ name: "render", op: "template" }, () => {});
});
Sentry.startSession();
Sentry.endSession();
Sentry.logger.info("user signed in", { plan: "pro" });
Sentry.withScope((scope) => {
  scope.addAttachment({ filename: "cart.txt", data: "3 apples, 2 pears", contentType: "text/plain" });
  sent.withAttachment = Sentry.captureException(new Error("with attachment"));
});
await Sentry.flush(10_000);
console.log(JSON.stringify(sent));
await Sentry.close(2_000);
