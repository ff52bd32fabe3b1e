import { t } from "elysia";
import { Uuid } from "../../lib/schemas";

/** A user as others see them: never the password hash. */
export const PublicUser = t.Object({ id: Uuid, email: t.String(), name: t.String() });
