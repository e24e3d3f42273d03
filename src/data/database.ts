import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { attachLiveSessionCache } from "./live_session_cache.ts";
import { Kysely } from "kysely";
import type { Generated, Insertable, Selectable, Updateable } from "kysely";
import { nodeSqliteDialect } from "./sqlite_dialect.ts";
import { openPostgres } from "./postgres.ts";

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

export type EmailTokenPurpose =
  | "verify_email"
  | "change_email"
  | "reset_password"
  | "cancel_deletion"
  /** The "this wasn't me" link to the old address; `new_email` holds the address it restores. */
  | "revert_email_change";

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
  forget_after_send: Generated<number>;
  status: Generated<"pending" | "sent" | "failed">;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: Timestamp;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** `<random@PUBLIC_URL's host>`, chosen once; NULL only on rows older than the column. */
  message_id: string | null;
}

export type CreditTransactionType = "grant" | "debit" | "refund" | "expire";
export type JobStatus = "queued" | "running" | "succeeded" | "failed";

/** A member's ledger totals and counters, kept in step with every ledger row. */
export interface CreditAccountsTable {
  /** Opaque: what the ledger rows point at, so they never name the member. */
  id: string;
  /** `null` once the member is purged: the account and its ledger outlive their owner. */
  user_id: string | null;
  /** The sum of the member's ledger amounts. */
  balance: number;
  granted: number;
  spent: number;
  refunded: number;
  expired: number;
  transaction_count: number;
  grant_count: number;
  debit_count: number;
  refund_count: number;
  expire_count: number;
  last_transaction_at: Timestamp | null;
}

export interface CreditLotsTable {
  id: string;
  user_id: string;
  source: string;
  description: string | null;
  granted: number;
  /** What can still be spent (or is yet to be written off, once past `expires_at`). */
  remaining: number;
  /** What the expiry wrote off. */
  expired: Generated<number>;
  expires_at: Timestamp | null;
  created_at: Timestamp;
}

export interface JobsTable {
  id: string;
  user_id: string;
  kind: string;
  status: JobStatus;
  credits_cost: number;
  description: string | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  refunded_at: Timestamp | null;
  debit_transaction_id: number | null;
  refund_transaction_id: number | null;
}

export interface CreditTransactionsTable {
  id: Generated<number>;
  /** The member's ledger account; the purge unlinks the account, never touches this row. */
  account_id: string;
  type: CreditTransactionType;
  amount: number;
  balance_after: number;
  description: string;
  /** 1, 2, 3… over the member's rows, in insertion order. */
  seq: number;
  /** 1, 2, 3… over the member's rows of this type. */
  type_seq: number;
  created_at: Timestamp;
}

export interface CreditDebitAllocationsTable {
  transaction_id: number;
  lot_id: string;
  amount: number;
}

/** A member's identity at an OpenID provider: `(issuer, subject)`, never an email. */
export interface IdentitiesTable {
  id: string;
  user_id: string;
  issuer: string;
  subject: string;
  email: string | null;
  created_at: Timestamp;
}

export type OAuthPurpose = "login" | "link";

/** A sign-in or link in flight with the provider (see the migration). */
export interface OAuthStatesTable {
  id: string;
  state_hash: string;
  browser_hash: string | null;
  nonce_sealed: string | null;
  verifier_sealed: string | null;
  redirect_uri: string;
  app_state: string | null;
  code_challenge: string | null;
  purpose: OAuthPurpose;
  user_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** A one-time authorization code handed to an app. */
export interface OAuthCodesTable {
  id: string;
  code_hash: string;
  user_id: string;
  session_id: string | null;
  redirect_uri: string;
  code_challenge: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** A JSON array of event types; `[]` means every event. */
  events: string;
  description: string | null;
  enabled: number;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Timestamp | null;
  failing_since: Timestamp | null;
  disabled_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookDeliveriesTable {
  id: string;
  /** The `webhook-id` header: one per event, stable across endpoints and retries. */
  event_id: string;
  endpoint_id: string;
  user_id: string;
  /** The member's event order: 1, 2, 3… */
  seq: number;
  type: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Timestamp;
  give_up_at: Timestamp;
  last_attempt_at: Timestamp | null;
  last_status_code: number | null;
  last_response: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

/** A fixed rate-limit window shared by every instance. */
export interface RateLimitsTable {
  key: string;
  count: number;
  /** When the window ends. */
  reset_at: Timestamp;
}

/** A scheduled run claimed by one instance: `tick` is the time it was scheduled for. */
export interface JobRunsTable {
  job: string;
  tick: Timestamp;
  started_at: Timestamp;
}

/** The whole schema, one interface per table. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  audit_events: AuditEventsTable;
  email_tokens: EmailTokensTable;
  outbox: OutboxTable;
  credit_accounts: CreditAccountsTable;
  credit_lots: CreditLotsTable;
  jobs: JobsTable;
  credit_transactions: CreditTransactionsTable;
  credit_debit_allocations: CreditDebitAllocationsTable;
  identities: IdentitiesTable;
  oauth_states: OAuthStatesTable;
  oauth_codes: OAuthCodesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  rate_limits: RateLimitsTable;
  job_runs: JobRunsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type IdentityRow = Selectable<IdentitiesTable>;
export type OAuthStateRow = Selectable<OAuthStatesTable>;
export type OAuthCodeRow = Selectable<OAuthCodesTable>;

/** The database handle every query takes first. */
export type Db = Kysely<Database>;

const files = new WeakMap<Db, string>();

/**
 * Opens (creating if needed) the SQLite file with the pragmas Vestibule relies on: WAL for
 * concurrent readers, `synchronous=FULL` so a committed change survives power loss, foreign keys
 * enforced, and a busy timeout so the server, its Workers and the CLI can share the file.
 *
 * `synchronous: "NORMAL"` is for idempotent batch work only (the purge's own connection): a power
 * loss may undo its last commits, which its next run redoes; it never loses a member's change.
 * That connection also checkpoints the WAL less often (every 20,000 pages instead of 1,000).
 *
 * The handle comes with its live-session cache (see `LiveSessionCache`) and remembers its file
 * (`databaseFileOf`), so a second connection can be opened on it elsewhere.
 */
export function openDatabase(
  path: string,
  options: { synchronous?: "FULL" | "NORMAL" } = {},
): Db {
  const sqlite = openSqliteConnection(path, options);
  const db = new Kysely<Database>({ dialect: nodeSqliteDialect(sqlite) });
  attachLiveSessionCache(db, sqlite);
  if (path !== ":memory:") files.set(db, path);
  return db;
}

/**
 * The `node:sqlite` connection under `openDatabase`, with the same pragmas, for a Worker that runs
 * statements compiled elsewhere (the `CommitThread`'s) without a Kysely handle of its own.
 */
export function openSqliteConnection(
  path: string,
  options: { synchronous?: "FULL" | "NORMAL" } = {},
): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new DatabaseSync(path);
  sqlite.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = ${options.synchronous === "NORMAL" ? "NORMAL" : "FULL"};
    PRAGMA wal_autocheckpoint = ${options.synchronous === "NORMAL" ? 20_000 : 1000};
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;
  `);
  return sqlite;
}

/** The file a handle from `openDatabase` is on; `undefined` for `:memory:` and other handles. */
export function databaseFileOf(db: Db): string | undefined {
  return files.get(db);
}

/**
 * Opens the database the configuration names: PostgreSQL when `DATABASE_URL` is set (a pool of
 * `DATABASE_POOL_SIZE` connections), otherwise the SQLite file at `DATABASE_PATH`.
 *
 * `forBatchWork` is for idempotent batch work on its own connection (the purge's Worker): on
 * SQLite, `synchronous=NORMAL` (see `openDatabase`); on PostgreSQL, a pool of two.
 */
export function openConfiguredDatabase(
  config: {
    databasePath: string;
    databaseUrl: string | undefined;
    databasePoolSize: number;
    databasePreparedStatements?: boolean;
  },
  options: { forBatchWork?: boolean } = {},
): Db {
  if (config.databaseUrl !== undefined) {
    const preparedStatements = config.databasePreparedStatements ?? true;
    return options.forBatchWork
      ? openPostgres(config.databaseUrl, 2, { preparedStatements })
      : openPostgres(config.databaseUrl, config.databasePoolSize, {
        liveSessions: true,
        preparedStatements,
      });
  }
  return openDatabase(config.databasePath, options.forBatchWork ? { synchronous: "NORMAL" } : {});
}
