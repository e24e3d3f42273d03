import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import type { Generated, Insertable, Selectable, Updateable } from "kysely";
import { nodeSqliteDialect } from "./sqlite_dialect.ts";

/** Timestamps are ISO 8601 UTC strings (`2026-11-23T10:00:00.000Z`): sortable and readable. */
type Timestamp = string;

export interface UsersTable {
  id: string;
  email: string;
  email_verified_at: Timestamp | null;
  password_hash: string;
  name: string | null;
  phone: string | null;
  profile_picture: string | null;
  google_id: string | null;
  subscription_tier: string;
  role: "member" | "admin";
  status: "active" | "pending_deletion";
  deletion_date: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  user_agent: string | null;
  ip_address: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  session_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  spent_at: Timestamp | null;
  /** The token that replaced this one, AES-GCM encrypted under a key only this token derives. */
  successor_sealed: string | null;
  successor_id: number | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  user_id: string | null;
  event: string;
  ip_address: string | null;
  user_agent: string | null;
  details: string | null;
  created_at: Timestamp;
}

export type EmailTokenPurpose = "verify_email" | "change_email" | "reset_password";

export interface EmailTokensTable {
  id: Generated<number>;
  user_id: string;
  purpose: EmailTokenPurpose;
  token_hash: string;
  /** The address an email change moves to. */
  new_email: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface OutboxTable {
  id: Generated<number>;
  user_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  /** Bodies with `{{secret}}` where the link's token goes; the token itself is only sealed. */
  text_body: string;
  html_body: string;
  secret_sealed: string | null;
  status: Generated<"pending" | "sent" | "failed">;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: Timestamp;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

/** The whole schema, one interface per table. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  audit_events: AuditEventsTable;
  email_tokens: EmailTokensTable;
  outbox: OutboxTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;

/** The database handle every query takes first. */
export type Db = Kysely<Database>;

/**
 * Opens (creating if needed) the SQLite file with the pragmas Vestibule relies on: WAL for
 * concurrent readers, `synchronous=FULL` so a committed change survives power loss, foreign keys
 * enforced, and a busy timeout so the CLI and the server can share the file.
 */
export function openDatabase(path: string): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new DatabaseSync(path);
  sqlite.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;
  `);
  return new Kysely<Database>({ dialect: nodeSqliteDialect(sqlite) });
}
