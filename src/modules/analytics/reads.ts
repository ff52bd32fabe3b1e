/**
 * How metrics and funnels read their events (decision 017): each service is given a function that
 * runs its work with one consistent view's reads. The embedded store's run in one snapshot over its
 * derived tables; a cluster's are ClickHouse queries over the events' own columns. Each module
 * writes its reads twice, side by side: `reads.ts` (embedded) and `repository.clickhouse.ts`.
 */
export type Reads<R> = <T>(work: (reads: R) => Promise<T>) => Promise<T>;

/** What both kinds of reads share. */
export interface ClaimsRead {
  /** Whether any of these projects has an identity claim (users then need resolving). */
  anyClaims(projectIds: readonly string[]): Promise<boolean>;
}
