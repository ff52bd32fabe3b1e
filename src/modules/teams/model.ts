import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { ROLES } from "../access/permissions";
import { PublicUser } from "../users/model";

export const SLUG_PATTERN = "^[a-z0-9-]{1,50}$";

export const Team = t.Object({
  id: Uuid,
  name: t.String(),
  slug: t.String(),
  created_at: Timestamp,
  role: t.Optional(oneOf(ROLES)),
});

export const CreateTeamBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 200 }),
  slug: t.Optional(
    t.String({ pattern: SLUG_PATTERN, error: "slug must be 1 to 50 characters of a-z, 0-9 and -" }),
  ),
});

export const AddMemberBody = t.Object({
  email: t.String({ format: "email", maxLength: 320, error: "email must be an email address" }),
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
  password: t.Optional(
    t.String({ minLength: 8, maxLength: 1024, error: "password must be 8 to 1024 characters" }),
  ),
  role: oneOf(ROLES, { error: "role must be one of owner, admin, member" }),
});

export const Member = t.Object({
  team_id: Uuid,
  role: oneOf(ROLES),
  user: PublicUser,
  created: t.Boolean(),
});
