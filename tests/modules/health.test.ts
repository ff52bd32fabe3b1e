import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pkg from "../../package.json";
import { type Roost, startRoost } from "../helpers";

let roost: Roost;
beforeAll(async () => {
  roost = await startRoost();
});
afterAll(() => roost.close());

describe("GET /health", () => {
  test("answers ok and the version, without credentials", async () => {
    const r = await roost.call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok", version: pkg.version });
  });
});

describe("unknown routes", () => {
  test("answer 404 in the /v1 error shape", async () => {
    const r = await roost.call("GET", "/v1/nothing-here");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: "Not found" });
  });
});

describe("/docs", () => {
  test("serves an OpenAPI description of every route, with schemas", async () => {
    const r = await roost.call("GET", "/docs/json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    const expected: Record<string, string[]> = {
      "/health": ["get"],
      "/v1/auth/login": ["post"],
      "/v1/auth/me": ["get"],
      "/v1/teams": ["get", "post"],
      "/v1/teams/{id}": ["get"],
      "/v1/teams/{id}/members": ["post"],
      "/v1/projects": ["get", "post"],
      "/v1/projects/{id}": ["get", "patch", "delete"],
      "/v1/apps": ["get", "post"],
      "/v1/apps/{id}": ["get", "patch", "delete"],
      "/v1/keys": ["get", "post"],
      "/v1/keys/{id}": ["delete"],
      "/v1/ingest": ["post"],
      "/v1/import": ["post"],
      "/v1/client-reports": ["post"],
      "/v1/outcomes": ["post"],
      "/v1/events": ["get"],
      "/v1/events/count": ["get"],
      "/v1/events/{id}": ["get"],
      "/v1/identity/claim": ["post"],
      "/v1/identity/properties": ["post"],
      "/v1/identity/attribution/{source}": ["post"],
      "/v1/app-users": ["get"],
      "/v1/app-users/{id}": ["get"],
      "/v1/apps/{id}/users": ["get"],
      "/v1/feedback": ["get", "post"],
      "/v1/feedback/count": ["get"],
      "/v1/projects/{id}/feedback": ["get"],
      "/v1/projects/{id}/feedback/{feedbackId}": ["get", "patch", "delete"],
      "/v1/projects/{id}/feedback/{feedbackId}/comments": ["post"],
      "/v1/projects/{id}/feedback/{feedbackId}/comments/{commentId}": ["patch", "delete"],
      "/v1/questionnaires/{slug}": ["get"],
      "/v1/questionnaires/{slug}/responses": ["post"],
      "/v1/questionnaires/dismiss": ["post"],
      "/v1/projects/{id}/questionnaires": ["get", "post"],
      "/v1/projects/{id}/questionnaires/{questionnaireId}": ["get", "patch", "delete"],
      "/v1/projects/{id}/questionnaires/{questionnaireId}/responses": ["get"],
      "/v1/projects/{id}/questionnaires/{questionnaireId}/responses/{responseId}": ["get", "patch", "delete"],
      "/v1/questionnaires": ["get"],
      "/v1/questionnaires/count": ["get"],
      "/v1/issues": ["get"],
      "/v1/projects/{id}/issues": ["get"],
      "/v1/projects/{id}/issues/{issueId}": ["get", "patch"],
      "/v1/projects/{id}/issues/{issueId}/merge": ["post"],
      "/v1/projects/{id}/issues/{issueId}/comments": ["get", "post"],
      "/v1/projects/{id}/issues/{issueId}/comments/{commentId}": ["patch", "delete"],
      "/v1/projects/{id}/notifications": ["get", "post"],
      "/v1/projects/{id}/notifications/{destinationId}": ["delete"],
      "/v1/projects/{id}/notifications/{destinationId}/deliveries": ["get"],
      "/v1/projects/{id}/metrics": ["get", "post"],
      "/v1/projects/{id}/metrics/{slug}": ["get", "patch", "delete"],
      "/v1/projects/{id}/metrics/{slug}/query": ["get"],
      "/v1/projects/{id}/metrics/{slug}/events": ["get"],
      "/v1/projects/{id}/metric-stats": ["get"],
      "/v1/metric-stats": ["get"],
      "/v1/metrics/completions/count": ["get"],
      "/v1/metrics/by-id/{id}": ["get"],
      "/v1/projects/{id}/funnels": ["get", "post"],
      "/v1/projects/{id}/funnels/{slug}": ["get", "patch", "delete"],
      "/v1/projects/{id}/funnels/{slug}/query": ["get"],
      "/v1/projects/{id}/experiments": ["get"],
      "/v1/funnels/completions/count": ["get"],
      "/v1/funnels/by-id/{id}": ["get"],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(r.body.paths[path] ?? {}).sort()).toEqual(methods.sort());
      for (const method of methods) {
        expect(r.body.paths[path][method].summary).toBeString();
        expect(r.body.paths[path][method].responses).toBeDefined();
      }
    }
    const createKey = r.body.paths["/v1/keys"].post;
    expect(JSON.stringify(createKey.requestBody)).toContain("expires_in_days");
    const ingest = r.body.paths["/v1/ingest"].post;
    expect(JSON.stringify(ingest.requestBody)).toContain("client_event_id");
    expect(JSON.stringify(r.body.paths["/v1/identity/claim"].post.requestBody)).toContain("anonymous_id");
    expect(JSON.stringify(r.body.paths["/v1/feedback"].post.requestBody)).toContain("submitter_email");
    expect(JSON.stringify(r.body.paths["/v1/projects/{id}/issues/{issueId}"].patch.requestBody)).toContain(
      "resolved_at_version",
    );
    const page = await roost.call("GET", "/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
  });
});
