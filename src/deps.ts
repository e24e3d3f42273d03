import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Background } from "./background.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Config } from "./config.ts";
import { type CommitThread, commitThreadFor } from "./data/commit_thread.ts";
import { type Db, openConfiguredDatabase } from "./data/database.ts";
import { isPostgres } from "./data/dialect.ts";
import { migrateToLatest } from "./data/migrate.ts";
import { DatabaseRateLimitStore } from "./data/rate_limits.ts";
import { type ImageProcessor, imageWorkerPool } from "./images/pool.ts";
import { createJsonLogger, type Logger } from "./log.ts";
import { Outbox } from "./mail/outbox.ts";
import type { Metrics } from "./metrics.ts";
import { prometheusMetrics } from "./prometheus_metrics.ts";
import { fileTransport, type MailTransport, smtpTransport } from "./mail/transport.ts";
import { AccessTokens } from "./services/access_tokens.ts";
import { type OidcClient, oidcClient } from "./services/oidc_client.ts";
import { argon2idHasher, type PasswordHasher } from "./services/passwords.ts";
import { RateLimiter } from "./services/rate_limiter.ts";
import { UploadStore } from "./storage/uploads.ts";
import { WebhookDeliverer } from "./webhooks/deliverer.ts";
import { checkDestination, type DestinationCheck } from "./webhooks/destination.ts";

/** Everything a service needs from the outside world, passed in so tests can choose it. */
export interface Deps {
  db: Db;
  /** Commits a sign-in's writes off the event loop (SQLite: a second connection to its file). */
  commits: CommitThread;
  clock: Clock;
  config: Config;
  log: Logger;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  rateLimiter: RateLimiter;
  mailTransport: MailTransport;
  outbox: Outbox;
  /** Delivers queued webhook events (the scheduler and a nudge after each commit). */
  webhooks: WebhookDeliverer;
  /** Seals and unseals webhook signing secrets; derived from the server secret. */
  webhookKey: string;
  /** The SSRF rule for webhook URLs (see `checkDestination`). */
  checkWebhookUrl: DestinationCheck;
  background: Background;
  uploads: UploadStore;
  images: ImageProcessor;
  /** Sign in with an OpenID provider; `undefined` unless `GOOGLE_CLIENT_ID` is set. */
  oidc: OidcClient | undefined;
  /** Counters for `/metrics`; services record through it without seeing the metrics library. */
  metrics: Metrics;
}

/**
 * Builds the dependencies from a configuration: opens and migrates the database, loads (or
 * generates once into the data directory) the JWT secret. `overrides` replaces any part.
 */
export async function createDeps(config: Config, overrides: Partial<Deps> = {}): Promise<Deps> {
  mkdirSync(config.dataDir, { recursive: true });
  const db = overrides.db ?? openConfiguredDatabase(config);
  await migrateToLatest(db);
  const secret = loadServerSecret(config);
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createJsonLogger(config.logLevel);
  const background = overrides.background ?? new Background(log);
  const mailTransport = overrides.mailTransport ??
    (config.smtpUrl ? smtpTransport(config.smtpUrl) : fileTransport(join(config.dataDir, "mail")));
  const outbox = overrides.outbox ?? new Outbox({
    db,
    clock,
    transport: mailTransport,
    // Its own key, derived from the server secret: the JWT key never seals anything.
    key: createHmac("sha256", secret).update("vestibule:outbox").digest("hex"),
    from: config.mailFrom,
    messageIdDomain: new URL(config.publicUrl).hostname,
    log,
    background,
  });
  const webhookKey = overrides.webhookKey ??
    createHmac("sha256", secret).update("vestibule:webhooks").digest("hex");
  const checkWebhookUrl = overrides.checkWebhookUrl ??
    ((url: string) => checkDestination(url, config.webhookAllowPrivate));
  return {
    db,
    commits: overrides.commits ?? commitThreadFor(db),
    clock,
    config,
    log,
    passwords: overrides.passwords ?? argon2idHasher(),
    accessTokens: overrides.accessTokens ??
      new AccessTokens(secret, config.accessTokenTtlSeconds),
    // On PostgreSQL every instance counts in the database; on SQLite (one process) in memory.
    rateLimiter: overrides.rateLimiter ??
      new RateLimiter(isPostgres(db) ? new DatabaseRateLimitStore(db) : undefined),
    mailTransport,
    background,
    uploads: overrides.uploads ?? new UploadStore(config.uploadDir),
    images: overrides.images ?? imageWorkerPool({ timeoutMs: config.imageTimeoutMs }),
    oidc: "oidc" in overrides ? overrides.oidc : config.oidc && oidcClient(config.oidc),
    metrics: overrides.metrics ?? prometheusMetrics({ db, clock }),
    outbox,
    webhookKey,
    checkWebhookUrl,
    webhooks: overrides.webhooks ?? new WebhookDeliverer({
      db,
      clock,
      key: webhookKey,
      log,
      background,
      outbox,
      check: checkWebhookUrl,
      timeoutMs: config.webhookTimeoutMs,
      productName: config.productName,
    }),
  };
}

/** Stops every thread the dependencies started and closes the database and the mail transport. */
export async function closeDeps(deps: Deps): Promise<void> {
  deps.mailTransport.close();
  deps.images.close();
  deps.passwords.close();
  deps.commits.close();
  await deps.db.destroy();
}

/**
 * Whether the server has a secret to start with on PostgreSQL, where none is ever generated (a
 * secret generated into one instance's `DATA_DIR` would make every other instance refuse its
 * tokens and sealed secrets): `JWT_SECRET`, or the `jwt_secret` file of a deployment moved over
 * from SQLite.
 */
export function hasServerSecret(config: Config): boolean {
  return config.jwtSecret !== undefined || existsSync(join(config.dataDir, "jwt_secret"));
}

/** `JWT_SECRET` when set; otherwise a 32-byte secret generated once into `$DATA_DIR/jwt_secret`. */
function loadServerSecret(config: Config): Uint8Array {
  if (config.jwtSecret !== undefined) return new TextEncoder().encode(config.jwtSecret);
  const path = join(config.dataDir, "jwt_secret");
  if (!existsSync(path)) {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    writeFileSync(path, secret, { mode: 0o600, flag: "wx" });
  }
  return new Uint8Array(readFileSync(path));
}
