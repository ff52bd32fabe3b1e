import type { Tx } from "../../store/db";
import type { Claim } from "./claims";

/** What a claim needs of the event store, which differs by backend (decision 017). */
export interface ClaimEvents {
  /** The project's events stored under an id. */
  count(tx: Tx, projectId: string, userId: string): Promise<number>;
  /** Records a claim and applies it to what is stored. */
  record(tx: Tx, claim: Claim, appId: string, at: Date): Promise<void>;
}
