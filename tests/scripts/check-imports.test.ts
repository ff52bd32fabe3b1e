import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkImports } from "../../scripts/check-imports";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A throwaway repository holding just these source files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "roost-imports-"));
  roots.push(root);
  for (const [path, code] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), code);
  }
  return root;
}

describe("the import check", () => {
  test("this repository passes", () => {
    expect(checkImports(join(import.meta.dir, "..", ".."))).toEqual([]);
  });

  test("two feature folders that use each other are a cycle, through types too", () => {
    const root = tree({
      "src/modules/a/service.ts": 'import { b } from "../b/service";\nexport const a = () => b;\n',
      "src/modules/b/service.ts": "export const b = 1;\n",
      "src/modules/b/model.ts": 'import type { a } from "../a/service";\nexport type A = typeof a;\n',
    });
    expect(checkImports(root)).toEqual(["src/modules folders import each other in a cycle: a, b"]);
  });

  test("files that import each other are a cycle; a one-way chain is not", () => {
    const root = tree({
      "src/store/x.ts": 'import type { Y } from "./y";\nexport interface X { y: Y }\n',
      "src/store/y.ts": 'import type { X } from "./x";\nexport interface Y { x?: X }\n',
      "src/store/z.ts": 'import type { X } from "./x";\nexport type Z = X;\n',
    });
    expect(checkImports(root)).toEqual([
      "files import each other in a cycle: src/store/x.ts, src/store/y.ts",
    ]);
  });

  test("code may not cross between the server and the dashboard; types and the HTML entry may", () => {
    const root = tree({
      "src/web/index.html": "<script src='./main.tsx'></script>",
      "src/web/main.tsx":
        'import type { M } from "../modules/m/model";\nimport { n } from "../modules/m/n";\nexport const v: M = n;\n',
      "src/modules/m/model.ts": "export type M = number;\n",
      "src/modules/m/n.ts": "export const n = 1;\n",
      "src/modules/dashboard/index.ts": 'import page from "../../web/index.html";\nexport default page;\n',
      "src/app.ts": 'import { route } from "./web/route";\nexport const r = route;\n',
      "src/web/route.ts": "export const route = 1;\n",
    });
    expect(checkImports(root).sort()).toEqual([
      "the dashboard imports server code: src/web/main.tsx → src/modules/m/n.ts (only `import type` may cross)",
      "the server imports dashboard code: src/app.ts → src/web/route.ts (only `import type` may cross)",
    ]);
  });
});
