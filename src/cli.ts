import { sql } from "kysely";
import { loadConfig } from "./config.ts";
import { type Db, openDatabase } from "./data/database.ts";
import { migrateToLatest } from "./data/migrate.ts";
import { closeDeps, createDeps } from "./deps.ts";
import { jobs } from "./jobs/jobs.ts";
import { DomainError } from "./services/errors.ts";
import { createWebhook, deleteWebhook, listWebhooks } from "./services/webhooks.ts";

const usage = `Usage: deno task cli <command>

Commands:
  promote-admin <email>   give the member with this email the admin role
  backup <file>           write a consistent copy of the live database to <file>
  run-job <name>          run one scheduler job now: ${jobs.map((job) => job.name).join(", ")}
  webhook add <url> [event ...]
                          register a webhook endpoint (every event when none is named); prints
                          its id and signing secret, which is shown only once
  webhook list            list the webhook endpoints
  webhook remove <id>     delete a webhook endpoint and its queued deliveries`;

/** Gives the member the admin role; returns false when no member has that email. */
export async function promoteAdmin(db: Db, email: string, now: Date): Promise<boolean> {
  const result = await db.updateTable("users")
    .set({ role: "admin", updated_at: now.toISOString() })
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Writes a consistent snapshot of the database to `file` with `VACUUM INTO`, which reads one
 * transaction's view while the server keeps serving. Refuses to overwrite an existing file.
 */
export async function backup(db: Db, file: string): Promise<void> {
  await sql`VACUUM INTO ${file}`.execute(db);
}

/** Runs one command; returns the process exit code. */
export async function runCli(args: string[], env = Deno.env.toObject()): Promise<number> {
  const [command, argument] = args;
  if (command === "webhook") return await webhookCommand(loadConfig(env), args.slice(1));
  if (command === undefined || argument === undefined || args.length !== 2) {
    console.error(usage);
    return 2;
  }
  const config = loadConfig(env);
  if (command === "run-job") return await runJob(config, argument);
  const db = openDatabase(config.databasePath);
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
        await backup(db, argument);
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

if (import.meta.main) Deno.exit(await runCli(Deno.args));
