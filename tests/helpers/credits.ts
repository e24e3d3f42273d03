import type { Deps } from "../../src/deps.ts";
import { authenticate, type Authenticated } from "../../src/services/sessions.ts";
import type { TestServer } from "./test_server.ts";

/** A member signed in over HTTP: their token and id. */
export interface Member {
  token: string;
  id: string;
  email: string;
}

/** Registers a member over HTTP. */
export async function registerMember(server: TestServer, email?: string): Promise<Member> {
  const body = await server.register(email);
  return { token: body.access_token, id: body.user.id, email: body.user.email };
}

/**
 * Signs the member in again and swaps in the new access token: tests that move the clock past
 * the token's 15 minutes call this after each move.
 */
export async function signIn(server: TestServer, ...members: Member[]): Promise<void> {
  for (const member of members) {
    const res = await server.api("POST", "/auth/login", {
      body: { email: member.email, password: "secure123" },
    });
    if (res.status !== 200) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
    member.token = res.body.access_token;
  }
}

/** Registers a member and gives them the admin role (as `promote-admin` does). */
export async function registerAdmin(server: TestServer, email?: string): Promise<Member> {
  const admin = await registerMember(server, email);
  await server.deps.db.updateTable("users").set({ role: "admin" }).where("id", "=", admin.id)
    .execute();
  return admin;
}

/** The `Authenticated` a service receives for this member's token. */
export async function authOf(deps: Deps, member: Member): Promise<Authenticated> {
  return await authenticate(deps, `Bearer ${member.token}`);
}

/**
 * Inserts a member straight into the database (no password hashing, no session): fast enough to
 * create one per property-test run.
 */
export async function insertMember(deps: Deps, id = crypto.randomUUID()): Promise<string> {
  const at = deps.clock.now().toISOString();
  await deps.db.insertInto("users").values({
    id,
    email: `${id}@example.com`,
    password_hash: "not-a-hash",
    subscription_tier: "free",
    role: "member",
    status: "active",
    created_at: at,
    updated_at: at,
  }).execute();
  return id;
}

export const DAY_MS = 86_400_000;
