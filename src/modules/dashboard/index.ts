import dashboard from "../../web/index.html";

/**
 * The dashboard at `/`: an HTML import, so Bun bundles it (Preact, uPlot, the CSS) when the server
 * starts from source and at build time in the single executable, and serves it and its assets as
 * static routes of the listening server. Everything comes from Roost itself: no CDN, works
 * offline. The pages talk to the same public API as any client.
 *
 * Handed to Bun.serve as `routes` through Elysia's `serve` config, not as an Elysia route: Elysia
 * only turns routes into static ones when no `onRequest` hook exists, and the request log has one.
 */
export const dashboardRoutes = { "/": dashboard };
