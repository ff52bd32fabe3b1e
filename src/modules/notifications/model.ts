import { t } from "elysia";
import { NullableTimestamp, oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { NOTIFICATION_EVENTS } from "./repository";

export const Destination = t.Object({
  id: Uuid,
  project_id: Uuid,
  kind: oneOf(["webhook", "email"] as const),
  url: t.String({ description: "The webhook's URL, or mailto: the address" }),
  email: t.Union([t.String(), t.Null()]),
  events: t.Array(oneOf(NOTIFICATION_EVENTS)),
  last_digest_at: NullableTimestamp,
  created_at: Timestamp,
});
export const CreatedDestination = t.Composite([
  Destination,
  t.Object({ secret: t.String({ description: "Signs every request (X-Roost-Signature); shown once" }) }),
]);
export const DestinationList = t.Object({ destinations: t.Array(Destination) });
export const DestinationBody = t.Object({
  url: t.Optional(t.Unknown({ description: "a webhook: http or https URL that takes a JSON POST" })),
  email: t.Optional(t.Unknown({ description: "or an address to mail (needs ROOST_SMTP_URL)" })),
  events: t.Optional(t.Unknown({ description: `any of ${NOTIFICATION_EVENTS.join(", ")} (default all)` })),
});
export const Delivery = t.Object({
  id: Uuid,
  event: t.String(),
  state: oneOf(["pending", "delivered", "failed"] as const),
  attempts: t.Integer(),
  last_status: t.Union([t.Integer(), t.Null()]),
  last_error: t.Union([t.String(), t.Null()]),
  next_attempt_at: NullableTimestamp,
  delivered_at: NullableTimestamp,
  created_at: Timestamp,
});
export const DeliveryList = t.Object({ deliveries: t.Array(Delivery) });
export const ProjectParams = t.Object({ id: t.String() });
export const DestinationParams = t.Object({ id: t.String(), destinationId: t.String() });
