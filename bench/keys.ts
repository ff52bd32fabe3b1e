import { PERMISSIONS } from "../src/modules/access/permissions";
import { createKeyIn } from "../src/modules/keys/service";
import type { Store } from "../src/store/db";

/** An agent key of the first team holding every permission an agent key may hold: what benches read with. */
export async function benchAgentKey(store: Store, name: string): Promise<string> {
  const [team] = await store.read<{ id: string }>(
    "SELECT id::VARCHAR AS id FROM teams ORDER BY created_at LIMIT 1",
  );
  if (!team) throw new Error("no team: make the data directory with bench/generate.ts");
  const key = await store.write((tx) =>
    createKeyIn(tx, {
      kind: "agent",
      name,
      teamId: team.id,
      appId: null,
      createdBy: null,
      permissions: PERMISSIONS.filter((p) => p !== "events:write"),
    }),
  );
  return key.secret;
}
