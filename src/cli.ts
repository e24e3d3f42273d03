import { loadConfig } from "./config.ts";
import { copyDatabase, CopyError } from "./data/copy_database.ts";
import { type Db, openConfiguredDatabase, openDatabase } from "./data/database.ts";
import { openPostgres } from "./data/postgres.ts";
import { backupTo, UnsupportedOnPostgresError } from "./data/dialect.ts";
import { migrateToLatest } from "./data/migrate.ts";
import { closeDeps, createDeps } from "./deps.ts";
import { jobs } from "./jobs/jobs.ts";

const usage = `Usage: deno task cli <command>

Commands:
  promote-admin <email>   give the member with this email the admin role
  backup <file>           write a consistent copy of the live SQLite database to <file>
  copy-database --to <postgres://…>
                          copy the SQLite database into an empty PostgreSQL one, then verify it
  run-job <name>          run one scheduler job now: ${jobs.map((job) => job.name).join(", ")}`;

/** Gives the member the admin role; returns false when no member has that email. */
export async function promoteAdmin(db: Db, email: string, now: Date): Promise<boolean> {
  const result = await db.updateTable("users")
    .set({ role: "admin", updated_at: now.toISOString() })
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Writes a consistent snapshot of a SQLite database to `file` while the server keeps serving.
 * @throws {UnsupportedOnPostgresError} on PostgreSQL, with the advice to use `pg_dump`
 */
export async function backup(db: Db, file: string): Promise<void> {
  await backupTo(db, file);
}

/** Runs one command; returns the process exit code. */
export async function runCli(args: string[], env = Deno.env.toObject()): Promise<number> {
  const [command, argument] = args;
  if (command === "copy-database") return await copyToPostgres(loadConfig(env), args.slice(1));
  if (command === undefined || argument === undefined || args.length !== 2) {
    console.error(usage);
    return 2;
  }
  const config = loadConfig(env);
  if (command === "run-job") return await runJob(config, argument);
  const db = openConfiguredDatabase(config);
  try {
    await migrateToLatest(db);
    switch (command) {
      case "promote-admin":
        if (!await promoteAdmin(db, argument, new Date())) {
          console.error(`No member with email ${argument}`);
          return 1;
        }
        console.log(`${argument} is now an admin`);
        return 0;
      case "backup":
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
      default:
        console.error(`Unknown command: ${command}\n\n${usage}`);
        return 2;
    }
  } finally {
    await db.destroy();
  }
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

if (import.meta.main) Deno.exit(await runCli(Deno.args));
