import { createAppIn } from "../src/modules/apps/service";
import { createProjectIn } from "../src/modules/projects/service";
import type { Store } from "../src/store/db";

/** The benchmarks' team layout (performance.md): 20 backend apps in 4 projects, in the first team. */
export async function createBenchApps(
  store: Store,
): Promise<{ id: string; projectId: string; teamId: string }[]> {
  const teamId = (await store.read<{ id: string }>("SELECT id::VARCHAR AS id FROM teams"))[0]!.id;
  return store.write(async (tx) => {
    const out: { id: string; projectId: string; teamId: string }[] = [];
    for (let p = 0; p < 4; p++) {
      const project = await createProjectIn(tx, teamId, { name: `Bench ${p}`, slug: `bench-${p}` });
      for (let a = 0; a < 5; a++) {
        const { app } = await createAppIn(
          tx,
          { projectId: project.id, teamId, name: `app-${p}-${a}`, platform: "backend", bundleId: null },
          null,
        );
        out.push({ id: app.id, projectId: project.id, teamId });
      }
    }
    return out;
  });
}
