import { loadConfig } from "./config.ts";
import { copyDatabase, CopyError } from "./data/copy_database.ts";
import { type Db, openConfiguredDatabase, openDatabase } from "./data/database.ts";
import { openPostgres } from "./data/postgres.ts";
import { backupTo, UnsupportedOnPostgresError } from "./data/dialect.ts";
import { migrateToLatest, migrationStatus } from "./data/migrate.ts";
import { setRoleByEmail } from "./data/users.ts";
import { closeDeps, createDeps } from "./deps.ts";
import { environment } from "./dotenv.ts";
import { jobs } from "./jobs/jobs.ts";
import { DomainError } from "./services/errors.ts";
import { createWebhook, deleteWebhook, listWebhooks } from "./services/webhooks.ts";

const usage = `Usage: deno task cli <command>

Commands:
  promote-admin <email>   give the member with this email the admin role
  backup <file>           write a consistent copy of the live SQLite database to <file>
  copy-database --to <postgres://…>
                          copy the SQLite database into an empty PostgreSQL one, then verify it
  run-job <name>          run one scheduler job now: ${jobs.map((job) => job.name).join(", ")}
  migrate status          list each migration, applied (with when) or pending; applies none
  migrate up              apply the pending migrations (the server also does this at start)
  webhook add <url> [event ...]
                          register a webhook endpoint (every event when none is named); prints
                          its id and signing secret, which is shown only once
  webhook list            list the webhook endpoints
  webhook remove <id>     delete a webhook endpoint and its queued deliveries
  help, --help, -h        show this help

Configuration comes from the environment and, when present, ./.env (the environment wins).`;

/** Each command, with the arguments it takes. */
const commands: Record<string, string[]> = {
  "promote-admin": ["<email>"],
  backup: ["<file>"],
  "run-job": ["<name>"],
  migrate: ["status|up"],
};

/** Gives the member the admin role; returns false when no member has that email. */
export async function promoteAdmin(db: Db, email: string, now: Date): Promise<boolean> {
  return await setRoleByEmail(db, email.trim().toLowerCase(), "admin", now.toISOString());
}

/**
 * Writes a consistent snapshot of a SQLite database to `file` while the server keeps serving.
 * @throws {UnsupportedOnPostgresError} on PostgreSQL, with the advice to use `pg_dump`
 */
export async function backup(db: Db, file: string): Promise<void> {
  await backupTo(db, file);
}

/**
 * Runs one command; returns the process exit code: 0 done, 1 failed (the reason printed on one
 * line), 2 unknown command or wrong arguments (with the usage). `help` prints the usage, exit 0.
 */
export async function runCli(args: string[], env = environment()): Promise<number> {
  const [command, ...rest] = args;
  if (command === "help" || command === "--help" || command === "-h") {
    console.log(usage);
    return 0;
  }
  if (command === "webhook") return await webhookCommand(loadConfig(env), rest);
  if (command === "copy-database") return await copyToPostgres(loadConfig(env), rest);
  if (command === undefined) {
    console.error(usage);
    return 2;
  }
  const expected = commands[command];
  if (!Object.hasOwn(commands, command)) {
    console.error(`Unknown command: ${command}\n\n${usage}`);
    return 2;
  }
  if (rest.length !== expected.length) {
    console.error(`Usage: deno task cli ${command} ${expected.join(" ")}\n\n${usage}`);
    return 2;
  }
  const [argument] = rest;
  if (command === "migrate" && argument !== "status" && argument !== "up") {
    console.error(`Unknown migrate command: ${argument} (status or up)`);
    return 2;
  }
  const config = loadConfig(env);
  if (command === "run-job") return await runJob(config, argument);
  const db = openConfiguredDatabase(config);
  try {
    if (command === "migrate") return await migrate(db, argument as "status" | "up");
    await migrateToLatest(db);
    switch (command) {
      case "promote-admin":
        if (!await promoteAdmin(db, argument, new Date())) {
          console.error(`No member with email ${argument}`);
          return 1;
        }
        console.log(`${argument} is now an admin`);
        return 0;
      default: // backup
        try {
          await Deno.lstat(argument);
          console.error(`${argument} already exists; choose a new file`);
          return 1;
        } catch { /* absent: good */ }
        try {
          await backup(db, argument);
        } catch (error) {
          if (!(error instanceof UnsupportedOnPostgresError)) throw error;
          console.error(error.message);
          return 1;
        }
        console.log(`Database copied to ${argument}`);
        return 0;
    }
  } finally {
    await db.destroy();
  }
}

/** `migrate status` lists every migration and its state; `migrate up` applies the pending ones. */
async function migrate(db: Db, action: "status" | "up"): Promise<number> {
  const before = await migrationStatus(db);
  if (action === "status") {
    for (const { name, appliedAt } of before) {
      console.log(appliedAt === null ? `pending  ${name}` : `applied  ${name}  (${appliedAt})`);
    }
    const pending = before.filter((m) => m.appliedAt === null).length;
    console.log(pending === 0 ? "Up to date" : `${pending} pending; run: deno task cli migrate up`);
    return 0;
  }
  await migrateToLatest(db);
  const applied = before.filter((m) => m.appliedAt === null).map((m) => m.name);
  console.log(applied.length === 0 ? "Up to date" : `Applied: ${applied.join(", ")}`);
  return 0;
}

/** `copy-database --to <url>`: the configured SQLite file into the empty PostgreSQL at `url`. */
async function copyToPostgres(
  config: ReturnType<typeof loadConfig>,
  args: string[],
): Promise<number> {
  const url = args.length === 2 && args[0] === "--to" ? args[1] : undefined;
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
    console.error(`copy-database takes --to <postgres://…>\n\n${usage}`);
    return 2;
  }
  const source = openDatabase(config.databasePath);
  const target = openPostgres(url, 2);
  try {
    const report = await copyDatabase(source, target);
    for (const { table, source, copied } of report.tables) {
      console.log(
        `${table.padEnd(28)} ${String(source).padStart(10)} rows read ${
          String(copied).padStart(10)
        } copied`,
      );
    }
    console.log(
      `ledger: ${report.ledger.accounts} accounts, ledger sum = balance = lot remainders for all ` +
        `(${report.ledger.violations} violations)`,
    );
    console.log(`Copied ${config.databasePath} into PostgreSQL; set DATABASE_URL to use it.`);
    if (config.jwtSecret === undefined) {
      console.log(
        `Keep ${config.dataDir}/jwt_secret (in every instance's DATA_DIR): it seals the webhook ` +
          "secrets and pending mail links just copied, and on PostgreSQL no secret is generated.",
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof CopyError)) throw error;
    console.error(`Nothing copied: ${error.message}`);
    return 1;
  } finally {
    await source.destroy();
    await target.destroy();
  }
}

async function runJob(config: ReturnType<typeof loadConfig>, name: string): Promise<number> {
  const job = jobs.find((candidate) => candidate.name === name);
  if (job === undefined) {
    console.error(`Unknown job: ${name}\n\n${usage}`);
    return 2;
  }
  const deps = await createDeps(config);
  try {
    console.log(JSON.stringify({ job: name, ...await job.run(deps) }));
    return 0;
  } finally {
    await deps.background.drain();
    await closeDeps(deps);
  }
}

/** `webhook add|list|remove`: the operator API's endpoints, for a deployment with no admin yet. */
async function webhookCommand(
  config: ReturnType<typeof loadConfig>,
  args: string[],
): Promise<number> {
  const [action, ...rest] = args;
  const valid = (action === "add" && rest.length >= 1) ||
    (action === "list" && rest.length === 0) ||
    (action === "remove" && rest.length === 1);
  if (!valid) {
    console.error(usage);
    return 2;
  }
  const deps = await createDeps(config);
  const meta = { ip: null, userAgent: "cli" };
  try {
    if (action === "add") {
      const [url, ...events] = rest;
      const created = await createWebhook(deps, null, { url, events }, meta);
      console.log(JSON.stringify(created));
    } else if (action === "list") {
      console.log(JSON.stringify(await listWebhooks(deps)));
    } else {
      await deleteWebhook(deps, null, rest[0], meta);
      console.log(`Webhook endpoint ${rest[0]} deleted`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    await closeDeps(deps);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await runCli(Deno.args));
  } catch (error) {
    // One line naming the cause (a bad variable, an unreadable database), never a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    console.error(message.replace(/\s*\n\s*/g, " "));
    Deno.exit(1);
  }
}
