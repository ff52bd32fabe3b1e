import { decodeCursorParts, encodeCursorParts, isMicros } from "../../lib/cursor";
import { badRequest } from "../../lib/errors";
import { isUuid } from "../../lib/ids";
import { dataMode, pageLimit, scopeIds, time } from "../events/params";

const BILLING_TIERS = ["paid", "trial", "free"] as const;
export type BillingTier = (typeof BILLING_TIERS)[number];
const USER_SORTS = ["last_seen", "first_seen"] as const;

/** Where a page of users starts: after this user in the sort order. */
export interface UserCursor {
  /** The sort column's value, epoch microseconds as text. */
  us: string;
  projectId: string;
  userId: string;
}

export interface UserQuery {
  teamId?: string;
  projectId?: string;
  appId?: string;
  search?: string;
  /** One user by their id exactly (Roost's; the dashboard's detail panel asks so). */
  userId?: string;
  isAnonymous?: boolean;
  billing?: BillingTier[];
  isDev: boolean | null;
  since?: Date;
  until?: Date;
  sort: (typeof USER_SORTS)[number];
  cursor?: UserCursor;
  limit: number;
}

type Query = Record<string, string | undefined>;

/** The listing's query, as Owlmetry's app-users routes take it; bad values are 400s that say why. */
export function parseUserQuery(q: Query, now = Date.now()): UserQuery {
  const query: UserQuery = {
    isDev: dataMode(q.data_mode),
    sort: "last_seen",
    limit: pageLimit(q.limit),
    ...scopeIds(q),
  };
  if (q.search) {
    if (q.search.length > 255) throw badRequest("search must be at most 255 characters");
    query.search = q.search;
  }
  if (q.user_id) query.userId = q.user_id;
  if (q.is_anonymous !== undefined && q.is_anonymous !== "") {
    if (q.is_anonymous !== "true" && q.is_anonymous !== "false") {
      throw badRequest("is_anonymous must be true or false");
    }
    query.isAnonymous = q.is_anonymous === "true";
  }
  if (q.billing_status) {
    const tiers = q.billing_status.split(",").map((s) => s.trim().toLowerCase());
    const unknown = tiers.filter((s) => !(BILLING_TIERS as readonly string[]).includes(s));
    if (unknown.length > 0) {
      throw badRequest(`Unknown billing_status: ${unknown.join(", ")}. Allowed: ${BILLING_TIERS.join(", ")}`);
    }
    const distinct = [...new Set(tiers)] as BillingTier[];
    // All three tiers are everyone: no filter, as Owlmetry.
    if (distinct.length < BILLING_TIERS.length) query.billing = distinct;
  }
  if (q.sort !== undefined && q.sort !== "") {
    if (!(USER_SORTS as readonly string[]).includes(q.sort)) {
      throw badRequest(`sort must be one of ${USER_SORTS.join(", ")}`);
    }
    query.sort = q.sort as UserQuery["sort"];
  }
  query.since = time("since", q.since, now);
  query.until = time("until", q.until, now);
  if (query.since && query.until && query.since > query.until)
    throw badRequest("since must not be after until");
  if (q.cursor) query.cursor = decodeUserCursor(q.cursor);
  return query;
}

export const encodeUserCursor = (c: UserCursor): string => encodeCursorParts([c.us, c.projectId, c.userId]);

function decodeUserCursor(raw: string): UserCursor {
  const [us, projectId, userId] = decodeCursorParts(raw, [isMicros, isUuid, () => true]) as [
    string,
    string,
    string,
  ];
  return { us, projectId, userId };
}
