import { Elysia } from "elysia";
import { authErrors, DeletedFlag } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import {
  CreatedDestination,
  DeliveryList,
  DestinationBody,
  DestinationList,
  DestinationParams,
  ProjectParams,
} from "./model";
import type { NotificationsService } from "./service";

const tags = ["notifications"];

/** Where a project's issue news goes: signed webhooks, with their delivery log (decision 011). */
export function notificationsRoutes(guard: AuthGuard, notifications: NotificationsService) {
  const base = "/projects/:id/notifications";
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .get(base, ({ caller, params }) => notifications.list(caller, params.id), {
      permission: "issues:read",
      params: ProjectParams,
      response: { 200: DestinationList, ...authErrors },
      detail: { tags, summary: "A project's notification destinations (secrets are not shown)" },
    })
    .post(
      base,
      async ({ caller, params, body, set }) => {
        const created = await notifications.create(caller, params.id, body);
        set.status = 201;
        return created;
      },
      {
        permission: "issues:write",
        params: ProjectParams,
        body: DestinationBody,
        response: { 201: CreatedDestination, ...authErrors },
        detail: {
          tags,
          summary:
            "Add a webhook for new and regressed issues and the daily digest; its signing secret is shown once",
        },
      },
    )
    .delete(
      `${base}/:destinationId`,
      ({ caller, params }) => notifications.remove(caller, params.id, params.destinationId),
      {
        permission: "issues:write",
        params: DestinationParams,
        response: { 200: DeletedFlag, ...authErrors },
        detail: { tags, summary: "Remove a destination; what it had not delivered is dropped" },
      },
    )
    .get(
      `${base}/:destinationId/deliveries`,
      ({ caller, params }) => notifications.deliveries(caller, params.id, params.destinationId),
      {
        permission: "issues:read",
        params: DestinationParams,
        response: { 200: DeliveryList, ...authErrors },
        detail: { tags, summary: "The newest 100 deliveries: state, attempts and the last answer" },
      },
    );
}
