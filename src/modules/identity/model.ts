import { t } from "elysia";

export const ClaimBody = t.Object({
  anonymous_id: t.String({
    minLength: 1,
    error: "anonymous_id is required",
    description: 'the SDK\'s anonymous id, "owl_anon_…"',
  }),
  user_id: t.String({ minLength: 1, error: "user_id is required", description: "the signed-in user's id" }),
});

export const ClaimResponse = t.Object({
  claimed: t.Literal(true),
  events_reassigned_count: t.Integer({
    description: "events stored under the anonymous id before this claim, now the user's",
  }),
});

export const PropertiesBody = t.Object({
  user_id: t.String({ minLength: 1, error: "user_id is required" }),
  // Checked by the service, in Owlmetry's order and words (a Record schema here lets Elysia turn
  // an array into an object before anyone sees it).
  properties: t.Unknown({
    description: 'an object of string values, merged into the stored ones; "" deletes a key',
  }),
});

export const PropertiesResponse = t.Object({
  updated: t.Literal(true),
  properties: t.Record(t.String(), t.String(), { description: "every property of the user after the call" }),
});
