import { badRequest } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { Tx } from "../../store/db";
import { findUserByEmail, insertUser, type UserRow } from "./repository";

export const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

/**
 * The user with this email, created when new. A new user needs a password; an existing user's
 * password is never changed here.
 */
export async function findOrCreateUser(
  tx: Tx,
  input: { email: string; name?: string; password?: string },
): Promise<{ user: UserRow; created: boolean }> {
  const existing = await findUserByEmail(tx, input.email);
  if (existing) return { user: existing, created: false };
  if (!input.password) throw badRequest("password is required to create a new user");
  const id = newId();
  await insertUser(tx, {
    id,
    email: input.email,
    name: input.name ?? input.email.split("@")[0] ?? input.email,
    passwordHash: await hashPassword(input.password),
  });
  const user = await findUserByEmail(tx, input.email);
  if (!user) throw new Error(`user ${id} vanished inside its own transaction`);
  return { user, created: true };
}

export const publicUser = (user: UserRow) => ({ id: user.id, email: user.email, name: user.name });
