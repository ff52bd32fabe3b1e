import { FormatRegistry } from "elysia/type-system";
import { fullFormats } from "elysia/type-system/format";
import { isUuid } from "./ids";

/**
 * Puts back fast checks for the string formats Roost's schemas use. Importing @elysiajs/openapi
 * (through @sinclair/typemap) replaces TypeBox's format checks with Zod-backed ones that build a
 * new Zod schema on every call; checking `format: "uuid"` on each event of a response page then
 * took about a third of the request's CPU (profile in docs/performance.md). Call it after the
 * openapi plugin is imported, i.e. at run time, not at module load.
 */
export function useFastFormats(): void {
  const email = fullFormats.email as RegExp;
  FormatRegistry.Set("uuid", isUuid);
  FormatRegistry.Set("email", (value) => email.test(value));
}
