import { randomUUID } from "node:crypto";

/**
 * Owlmetry's Node SDK (`@owlmetry/node`, owlmetry/owlmetry-node 0.1.15) as it behaves on the wire,
 * ported request by request because the package is not in the npm registry: events batched by
 * 20 to `/v1/ingest` (gzip past 512 characters), `sdk:session_started` before the first event,
 * `withUser`/`withSession` scopes, `setUserProperties` (fire and forget), `sendFeedback` (its
 * receipt, then `sdk:feedback_submitted`), `flush` and `shutdown` (`sdk:session_ended`). The Node
 * SDK has no anonymous ids; `claim` sends what the Swift and Android SDKs send from `setUser`
 * (flush first, then `POST /v1/identity/claim`).
 */
const SDK_NAME = "owlmetry-node";
const SDK_VERSION = "0.0.0"; // what the SDK sends when built without its version (its own tests)
const BATCH = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Config {
  endpoint: string;
  apiKey: string;
  appVersion?: string;
  isDev?: boolean;
}

type Event = Record<string, unknown>;

export class OwlmetryNode {
  readonly sessionId = randomUUID();
  private readonly buffer: Event[] = [];
  private started = false;
  private readonly pending = new Set<Promise<unknown>>();
  /** Every request sent, for the tests: method, path, headers and the body as JSON. */
  readonly sent: Array<{ path: string; headers: Record<string, string>; body: unknown; status: number }> = [];

  constructor(private readonly config: Config) {
    if (!config.apiKey.startsWith("owl_client_"))
      throw new Error('OwlMetry: apiKey must start with "owl_client_"');
  }

  private event(level: string, message: string, attrs?: Record<string, unknown>, scope: Scope = {}): Event {
    const custom =
      attrs && Object.keys(attrs).length > 0
        ? Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v).slice(0, 200)]))
        : undefined;
    return {
      client_event_id: randomUUID(),
      session_id: scope.sessionId ?? this.sessionId,
      ...(scope.userId ? { user_id: scope.userId } : {}),
      level,
      source_module: "tests/support/owlmetry-node.ts:1",
      message: message.slice(0, 2000),
      custom_attributes: custom,
      environment: "backend",
      ...(this.config.appVersion ? { app_version: this.config.appVersion } : {}),
      sdk_name: SDK_NAME,
      sdk_version: SDK_VERSION,
      is_dev: this.config.isDev ?? true,
      timestamp: new Date().toISOString(),
    };
  }

  log(level: string, message: string, attrs?: Record<string, unknown>, scope: Scope = {}): void {
    if (!this.started) {
      this.started = true;
      this.buffer.push(this.event("info", "sdk:session_started"));
    }
    this.buffer.push(this.event(level, message, attrs, scope));
  }

  info = (message: string, attrs?: Record<string, unknown>, options: { sessionId?: string } = {}) =>
    this.log("info", message, attrs, { sessionId: validSession(options.sessionId) });
  error = (message: string, attrs?: Record<string, unknown>) => this.log("error", message, attrs);

  withUser(userId: string): Scoped {
    return new Scoped(this, { userId });
  }

  withSession(sessionId: string): Scoped {
    return new Scoped(this, { sessionId: validSession(sessionId) });
  }

  /** Sends what is buffered, 20 events a request, one request after another. */
  async flush(): Promise<void> {
    while (this.buffer.length > 0)
      await this.post("/v1/ingest", { events: this.buffer.splice(0, BATCH) }, true);
  }

  setUserProperties(userId: string, properties: Record<string, string>): void {
    const sending = this.post("/v1/identity/properties", { user_id: userId, properties }, false);
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
  }

  /** What the tests wait for where the SDK's own tests sleep a second. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async sendFeedback(
    message: string,
    options: { name?: string; email?: string; userId?: string; sessionId?: string } = {},
  ): Promise<{ id: string; createdAt: string }> {
    const trimmed = message.trim();
    if (!trimmed) throw new Error("Owlmetry: feedback message is required");
    if (trimmed.length > 4000) throw new Error("Owlmetry: feedback message must be at most 4000 characters");
    const body: Record<string, unknown> = {
      message: trimmed,
      is_dev: this.config.isDev ?? true,
      environment: "backend",
      sdk_name: SDK_NAME,
      sdk_version: SDK_VERSION,
    };
    if (options.name?.trim()) body.submitter_name = options.name.trim();
    if (options.email?.trim()) body.submitter_email = options.email.trim();
    if (options.userId) body.user_id = options.userId;
    if (options.sessionId && UUID.test(options.sessionId)) body.session_id = options.sessionId;
    if (this.config.appVersion) body.app_version = this.config.appVersion;
    const response = await this.post("/v1/feedback", body, false);
    if (response.status >= 400) {
      const error = (response.body as { error?: string }).error ?? JSON.stringify(response.body);
      throw new Error(`OwlMetry: sendFeedback rejected (${response.status}): ${error}`);
    }
    const receipt = response.body as { id: string; created_at: string };
    this.log(
      "info",
      "sdk:feedback_submitted",
      { has_email: options.email ? "true" : "false", has_name: options.name ? "true" : "false" },
      { userId: options.userId, sessionId: body.session_id as string | undefined },
    );
    return { id: receipt.id, createdAt: receipt.created_at };
  }

  /** The Swift and Android SDKs' setUser: what is buffered goes first, then the claim. */
  async claim(anonymousId: string, userId: string) {
    await this.flush();
    return this.post("/v1/identity/claim", { anonymous_id: anonymousId, user_id: userId }, false);
  }

  async shutdown(): Promise<void> {
    if (this.started) this.buffer.push(this.event("info", "sdk:session_ended"));
    await this.flush();
    await this.settled();
  }

  private async post(path: string, payload: unknown, gzipLarge: boolean) {
    const json = JSON.stringify(payload);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Authorization: `Bearer ${this.config.apiKey}`,
    };
    let body: string | Uint8Array = json;
    if (gzipLarge && json.length > 512) {
      body = Bun.gzipSync(json);
      headers["Content-Encoding"] = "gzip";
    }
    const response = await fetch(`${this.config.endpoint}${path}`, { method: "POST", headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    this.sent.push({ path, headers, body: payload, status: response.status });
    return { status: response.status, body: parsed };
  }
}

interface Scope {
  userId?: string;
  sessionId?: string;
}

/** A non-UUID session is dropped silently (the process session is used), as the SDK does. */
const validSession = (id: string | undefined) => (id && UUID.test(id) ? id : undefined);

class Scoped {
  constructor(
    private readonly owl: OwlmetryNode,
    private readonly scope: Scope,
  ) {}
  withUser = (userId: string) => new Scoped(this.owl, { ...this.scope, userId });
  withSession = (sessionId: string) =>
    new Scoped(this.owl, { ...this.scope, sessionId: validSession(sessionId) });
  info = (message: string, attrs?: Record<string, unknown>) =>
    this.owl.log("info", message, attrs, this.scope);
  error = (message: string, attrs?: Record<string, unknown>) =>
    this.owl.log("error", message, attrs, this.scope);
  setUserProperties = (properties: Record<string, string>) => {
    if (!this.scope.userId) {
      throw new Error("OwlMetry: setUserProperties requires a user-scoped instance. Call .withUser() first.");
    }
    this.owl.setUserProperties(this.scope.userId, properties);
  };
  sendFeedback = (message: string, options: { name?: string; email?: string } = {}) =>
    this.owl.sendFeedback(message, {
      ...options,
      userId: this.scope.userId,
      sessionId: this.scope.sessionId,
    });
}
