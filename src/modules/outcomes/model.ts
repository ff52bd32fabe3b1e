import { t } from "elysia";
import { oneOf, Uuid } from "../../lib/schemas";
import { CATEGORIES, OUTCOMES } from "../../lib/vocab";

export const OutcomeInput = t.Object({
  timestamp: t.String({ description: "ISO-8601" }),
  project_id: Uuid,
  key_id: t.Optional(t.Union([Uuid, t.Null()], { error: "must be a UUID or null" })),
  outcome: oneOf(OUTCOMES),
  reason: t.Optional(
    t.Union([t.String({ maxLength: 200 }), t.Null()], {
      error: "must be a string of at most 200 characters, or null",
    }),
  ),
  category: oneOf(CATEGORIES),
  quantity: t.Optional(t.Integer({ minimum: 0, error: "must be a whole number, 0 or more" })),
  times_seen: t.Optional(t.Integer({ minimum: 0, error: "must be a whole number, 0 or more" })),
});
export type OutcomeInput = typeof OutcomeInput.static;

export const RecordOutcomesBody = t.Object({
  outcomes: t.Array(OutcomeInput, {
    minItems: 1,
    maxItems: 10_000,
    error: "outcomes must hold 1 to 10000 rows",
  }),
});

export const RecordOutcomesResponse = t.Object({ recorded: t.Integer() });
