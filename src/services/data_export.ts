import { columnsOf, listTables, rowsWhere } from "../data/schema.ts";
import type { Deps } from "../deps.ts";
import type { Profile } from "./profile.ts";
import type { Authenticated } from "./sessions.ts";

/** Columns that hold secrets: never exported, even to their owner. */
const SECRET_COLUMNS = new Set([
  "password_hash",
  "token_hash",
  "successor_sealed",
  "secret_sealed",
  "state_hash",
  "browser_hash",
  "nonce_sealed",
  "verifier_sealed",
  "code_hash",
  "code_challenge",
]);

/** Everything Vestibule holds about a member, as one document (GDPR data portability). */
export interface AccountExport {
  exported_at: string;
  profile: Profile & { profile_picture_url: string | null };
  /** Every row of every table that belongs to the member, by table name, secrets left out. */
  records: Record<string, Record<string, unknown>[]>;
}

/**
 * Gathers every row that names the member: the profile, each table with a `user_id` column,
 * read from the schema itself so a table added later is exported without a change here, and the
 * ledger rows of the member's credit account. Secret
 * columns (hashes, sealed tokens) are left out; the picture is an absolute URL.
 */
export async function exportAccount(deps: Deps, auth: Authenticated): Promise<AccountExport> {
  const records: AccountExport["records"] = {};
  for (const table of await listTables(deps.db)) {
    if (table === "users" || !(await columnsOf(deps.db, table)).includes("user_id")) continue;
    const rows = await rowsWhere(deps.db, table, "user_id", auth.userId);
    records[table] = rows.map((row) =>
      Object.fromEntries(Object.entries(row).filter(([column]) => !SECRET_COLUMNS.has(column)))
    );
  }
  // The ledger names the member's account, not the member: gather it through the account.
  const account = (await rowsWhere(deps.db, "credit_accounts", "user_id", auth.userId))[0];
  records.credit_transactions = account === undefined
    ? []
    : await rowsWhere(deps.db, "credit_transactions", "account_id", String(account.id));
  const picture = auth.profile.profile_picture;
  return {
    exported_at: deps.clock.now().toISOString(),
    profile: {
      ...auth.profile,
      profile_picture_url: picture === null ? null : `${deps.config.publicUrl}${picture}`,
    },
    records,
  };
}
