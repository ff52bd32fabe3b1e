export const PERMISSIONS = [
  "events:write",
  "events:read",
  "org:read",
  "org:write",
  "org:admin",
  "feedback:read",
  "feedback:write",
  "questionnaires:read",
  "questionnaires:write",
  "issues:read",
  "issues:write",
  "metrics:read",
  "metrics:write",
  "funnels:read",
  "funnels:write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["owner", "admin", "member"] as const;
export type Role = (typeof ROLES)[number];

export const KEY_KINDS = ["client", "agent", "import"] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

/**
 * Owner and admin hold the four team permissions; a member reads. Every member triages feedback,
 * questionnaires and issues, as in Owlmetry, where any signed-in member may (decisions 010, 011).
 */
const FEEDBACK: readonly Permission[] = [
  "feedback:read",
  "feedback:write",
  "questionnaires:read",
  "questionnaires:write",
  "issues:read",
  "issues:write",
];
/** Metric and funnel definitions are Owlmetry's admin work; every member reads them. */
const ANALYTICS_READ: readonly Permission[] = ["metrics:read", "funnels:read"];
const ANALYTICS_WRITE: readonly Permission[] = ["metrics:write", "funnels:write"];
/** What an owner or an admin holds: the team's four permissions and everything a member does, writing too. */
const MANAGING: readonly Permission[] = [
  "events:read",
  "org:read",
  "org:write",
  "org:admin",
  ...FEEDBACK,
  ...ANALYTICS_READ,
  ...ANALYTICS_WRITE,
];
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: MANAGING,
  admin: MANAGING,
  member: ["events:read", "org:read", ...FEEDBACK, ...ANALYTICS_READ],
};

/** What each key kind may hold, and what it gets when the creator names nothing. */
export const KEY_KIND_PERMISSIONS: Record<
  KeyKind,
  { allowed: readonly Permission[]; default: Permission[] }
> = {
  client: { allowed: ["events:write"], default: ["events:write"] },
  import: { allowed: ["events:write"], default: ["events:write"] },
  agent: {
    allowed: PERMISSIONS.filter((p) => p !== "events:write"),
    default: ["events:read", "org:read"],
  },
};

/** The prefixes Owlmetry's SDKs check for. */
export const KEY_PREFIX: Record<KeyKind, string> = {
  client: "owl_client_",
  agent: "owl_agent_",
  import: "owl_import_",
};
