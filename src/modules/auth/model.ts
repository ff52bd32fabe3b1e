import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { KEY_KINDS, PERMISSIONS, ROLES } from "../access/permissions";
import { PublicUser } from "../users/model";

export const LoginBody = t.Object({
  email: t.String({ minLength: 1, maxLength: 320 }),
  password: t.String({ minLength: 1, maxLength: 1024 }),
});

export const LoginResponse = t.Object({ token: t.String(), expires_at: Timestamp, user: PublicUser });

export const MeResponse = t.Union([
  t.Object({
    type: t.Literal("user"),
    user: PublicUser,
    teams: t.Array(t.Object({ id: Uuid, name: t.String(), slug: t.String(), role: oneOf(ROLES) })),
  }),
  t.Object({
    type: t.Literal("key"),
    key: t.Object({
      id: Uuid,
      kind: oneOf(KEY_KINDS),
      team_id: Uuid,
      app_id: t.Union([Uuid, t.Null()]),
      permissions: t.Array(oneOf(PERMISSIONS)),
    }),
  }),
]);
