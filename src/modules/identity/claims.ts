/** The prefix Owlmetry's SDKs give an anonymous user id (`owl_anon_<uuid>`). */
export const ANONYMOUS_ID_PREFIX = "owl_anon_";

export const isAnonymousId = (userId: string): boolean => userId.startsWith(ANONYMOUS_ID_PREFIX);

export interface Claim {
  projectId: string;
  anonymousId: string;
  userId: string;
}

/**
 * Every identity claim, in memory (loaded at start, learnt from each claim's commit): the write
 * path stores a claimed anonymous id's later events under the real user, and the events API
 * resolves lake rows sealed before their claim (decision 010). A project holds one entry per
 * anonymous id that ever signed in: a few bytes each.
 */
export class IdentityClaims {
  /** project → anonymous id → user id. */
  private readonly users = new Map<string, Map<string, string>>();
  /** project → user id → the anonymous ids it claimed. */
  private readonly anonymous = new Map<string, Map<string, string[]>>();

  /** Every claim anew (a cluster's node, after another node recorded one). */
  replace(claims: readonly Claim[]): void {
    this.users.clear();
    this.anonymous.clear();
    for (const claim of claims) this.add(claim);
  }

  add({ projectId, anonymousId, userId }: Claim): void {
    let users = this.users.get(projectId);
    if (!users) {
      users = new Map();
      this.users.set(projectId, users);
    }
    if (users.has(anonymousId)) return;
    users.set(anonymousId, userId);
    let claimed = this.anonymous.get(projectId);
    if (!claimed) {
      claimed = new Map();
      this.anonymous.set(projectId, claimed);
    }
    claimed.set(userId, [...(claimed.get(userId) ?? []), anonymousId]);
  }

  /** The user an id stands for in a project: the claiming user for a claimed anonymous id, else itself. */
  resolve(projectId: string, userId: string): string {
    if (!isAnonymousId(userId)) return userId;
    return this.users.get(projectId)?.get(userId) ?? userId;
  }

  /** The user who claimed an anonymous id in a project, if any. */
  claimant(projectId: string, anonymousId: string): string | undefined {
    return this.users.get(projectId)?.get(anonymousId);
  }

  /** The anonymous ids a user claimed in any of these projects. */
  claimedBy(projectIds: readonly string[], userId: string): string[] {
    return projectIds.flatMap((p) => this.anonymous.get(p)?.get(userId) ?? []);
  }

  /** Every claim in these projects. */
  pairsIn(projectIds: readonly string[]): Claim[] {
    return projectIds.flatMap((projectId) =>
      [...(this.users.get(projectId) ?? [])].map(([anonymousId, userId]) => ({
        projectId,
        anonymousId,
        userId,
      })),
    );
  }

  /** Whether any of these projects holds a claim. */
  anyIn(projectIds: readonly string[]): boolean {
    return projectIds.some((p) => (this.users.get(p)?.size ?? 0) > 0);
  }

  get size(): number {
    let n = 0;
    for (const users of this.users.values()) n += users.size;
    return n;
  }
}
