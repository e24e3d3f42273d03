import { join } from "node:path";
import { z } from "zod";

/** A rate limit: at most `limit` events per `windowSeconds`. */
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

/** Everything Vestibule reads from its environment, validated once at start-up. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databasePath: string;
  /** `postgres://…` selects PostgreSQL (TLS through its `sslmode`); `undefined`: SQLite at `databasePath`. */
  databaseUrl: string | undefined;
  /** Connections in the PostgreSQL pool. */
  databasePoolSize: number;
  /** On PostgreSQL, whether statements outside transactions run as named prepared statements. */
  databasePreparedStatements: boolean;
  uploadDir: string;
  publicUrl: string;
  /** `undefined` means: generate one into `$DATA_DIR/jwt_secret` on first start. */
  jwtSecret: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** The product's name in every message. */
  productName: string;
  /** Base of the links in email: `PUBLIC_URL`, or a product's own front end. */
  emailLinkBaseUrl: string;
  deletionGraceDays: number;
  /** How many proxy hops in front of Vestibule append to `X-Forwarded-For` (0: trust none). */
  trustProxyHops: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseIntervalSeconds: number;
  maxBodyBytes: number;
  /** How long one picture may take in the image workers before it is abandoned. */
  imageTimeoutMs: number;
  rateLimits: {
    loginPerIp: RateLimitRule;
    /** Wrong passwords on one account from any address (sign-in and bearer checks). */
    loginPerAccount: RateLimitRule;
    /** Wrong passwords on one account from one client address. */
    loginPerAccountIp: RateLimitRule;
    registerPerIp: RateLimitRule;
    refreshPerIp: RateLimitRule;
    verificationResendPerUser: RateLimitRule;
    passwordForgotPerIp: RateLimitRule;
    passwordForgotPerEmail: RateLimitRule;
    /** Email-change requests per member. */
    emailChangePerUser: RateLimitRule;
  };
  logRequests: boolean;
  /**
   * Exact origins (`scheme://host[:port]`) whose pages may call the API from a browser:
   * `CORS_ORIGINS`, or by default the origin of an explicitly set `EMAIL_LINK_BASE_URL`.
   */
  corsOrigins: string[];
  /** Where the pages behind email links send the member back to; unset: no link. */
  appUrl: string | undefined;
  /** Sign in with an OpenID provider (Google by default); `undefined` when not configured. */
  oidc: OidcConfig | undefined;
  /** The app redirect URIs allowed to receive authorization codes (`OAUTH_REDIRECT_URIS`). */
  oauthRedirectUris: string[];
  /** Lines below this level are not written (`LOG_LEVEL`). */
  logLevel: "debug" | "info" | "error";
  /** When set, `/metrics` answers only a request bearing this token. */
  metricsToken: string | undefined;
  /** How long a SIGTERM waits for requests and jobs in progress before exiting anyway. */
  shutdownTimeoutSeconds: number;
  /** Allow webhook endpoints on private, loopback and link-local addresses. */
  webhookAllowPrivate: boolean;
  /** How long a webhook receiver has to answer 2xx. */
  webhookTimeoutMs: number;
}

/** The OpenID Connect client's settings. */
export interface OidcConfig {
  clientId: string;
  clientSecret: string;
  /** Discovery reads `$issuer/.well-known/openid-configuration` on first use. */
  issuer: string;
}

/** An app redirect URI: absolute http(s), no fragment. */
const redirectUri = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "" &&
      !value.includes("#");
  } catch {
    return false;
  }
}, "each entry must be an absolute http(s) URL without a fragment");

const rule = z.string().regex(/^\d+\/\d+$/, "must look like <count>/<seconds>, e.g. 10/60")
  .transform((value): RateLimitRule => {
    const [limit, windowSeconds] = value.split("/").map(Number);
    return { limit, windowSeconds };
  }).refine((r) => r.limit > 0 && r.windowSeconds > 0, "count and seconds must be positive");

/** An `http:` or `https:` URL (the only kinds a browser page or link can use). */
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http or https URL" });

/** One exact origin: what a browser sends in `Origin`, e.g. `https://app.example.com:8443`. */
function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

const origins = z.string().transform((value, ctx) => {
  const list = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  for (const item of list) {
    if (!isExactOrigin(item)) {
      ctx.addIssue({
        code: "custom",
        message:
          `"${item}" is not an exact origin (scheme://host[:port], lower case, no path or trailing slash)`,
      });
    }
  }
  return [...new Set(list)];
});

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  PORT: int(0, 65535).default(8000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_PATH: z.string().min(1).optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  DATABASE_PREPARED_STATEMENTS: z.enum(["true", "false"]).default("true")
    .transform((v) => v === "true"),
  UPLOAD_DIR: z.string().min(1).optional(),
  PUBLIC_URL: z.url().optional(),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().min(3).default("Vestibule <no-reply@localhost>"),
  PRODUCT_NAME: z.string().min(1).max(100).default("Vestibule"),
  EMAIL_LINK_BASE_URL: z.url().optional(),
  DELETION_GRACE_DAYS: int(0, 365).default(14),
  TRUST_PROXY: z.string().regex(/^(true|false|\d+)$/, "must be true, false or a hop count")
    .default("false")
    .transform((v) => v === "true" ? 1 : v === "false" ? 0 : Number(v)),
  ACCESS_TOKEN_TTL: int(60, 86_400).default(900),
  REFRESH_TOKEN_TTL: int(60, 31_536_000).default(30 * 86_400),
  REFRESH_REUSE_INTERVAL: int(0, 300).default(10),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  IMAGE_TIMEOUT_MS: int(100, 120_000).default(10_000),
  RATE_LIMIT_LOGIN_PER_IP: rule.prefault("30/60"),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: rule.prefault("100/3600"),
  RATE_LIMIT_LOGIN_PER_ACCOUNT_IP: rule.prefault("5/900"),
  RATE_LIMIT_REGISTER_PER_IP: rule.prefault("10/3600"),
  RATE_LIMIT_REFRESH_PER_IP: rule.prefault("120/60"),
  RATE_LIMIT_VERIFY_RESEND: rule.prefault("3/3600"),
  RATE_LIMIT_PASSWORD_FORGOT_PER_IP: rule.prefault("10/3600"),
  RATE_LIMIT_PASSWORD_FORGOT_PER_EMAIL: rule.prefault("3/3600"),
  RATE_LIMIT_EMAIL_CHANGE: rule.prefault("10/3600"),
  LOG_REQUESTS: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  CORS_ORIGINS: origins.optional(),
  APP_URL: httpUrl.optional(),
  GOOGLE_CLIENT_ID: z.string().min(1).max(512).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).max(512).optional(),
  GOOGLE_ISSUER: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .default("https://accounts.google.com"),
  OAUTH_REDIRECT_URIS: z.string().default("").transform((value) =>
    value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
  ).pipe(z.array(redirectUri)),
  LOG_LEVEL: z.enum(["debug", "info", "error"]).default("info"),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  SHUTDOWN_TIMEOUT: int(1, 300).default(10),
  WEBHOOK_ALLOW_PRIVATE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
}).superRefine((env, ctx) => {
  if ((env.GOOGLE_CLIENT_ID === undefined) !== (env.GOOGLE_CLIENT_SECRET === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [env.GOOGLE_CLIENT_ID === undefined ? "GOOGLE_CLIENT_ID" : "GOOGLE_CLIENT_SECRET"],
      message: "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together",
    });
  }
});

/** The origin of an explicitly set `EMAIL_LINK_BASE_URL` (a web front end), or none. */
function defaultCorsOrigins(emailLinkBaseUrl: string | undefined): string[] {
  if (emailLinkBaseUrl === undefined) return [];
  const origin = new URL(emailLinkBaseUrl).origin;
  return isExactOrigin(origin) ? [origin] : [];
}

/** Raised when the environment holds a bad value; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Reads and validates the configuration from an environment map.
 *
 * Empty strings count as unset, so `PORT=` in a `.env` file means the default.
 * @throws {ConfigError} naming every variable whose value is invalid
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databasePath: e.DATABASE_PATH ?? join(e.DATA_DIR, "vestibule.sqlite"),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    uploadDir: e.UPLOAD_DIR ?? join(e.DATA_DIR, "uploads"),
    publicUrl,
    jwtSecret: e.JWT_SECRET,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    productName: e.PRODUCT_NAME,
    emailLinkBaseUrl: (e.EMAIL_LINK_BASE_URL ?? publicUrl).replace(/\/+$/, ""),
    deletionGraceDays: e.DELETION_GRACE_DAYS,
    trustProxyHops: e.TRUST_PROXY,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
    refreshReuseIntervalSeconds: e.REFRESH_REUSE_INTERVAL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    imageTimeoutMs: e.IMAGE_TIMEOUT_MS,
    rateLimits: {
      loginPerIp: e.RATE_LIMIT_LOGIN_PER_IP,
      loginPerAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      loginPerAccountIp: e.RATE_LIMIT_LOGIN_PER_ACCOUNT_IP,
      registerPerIp: e.RATE_LIMIT_REGISTER_PER_IP,
      refreshPerIp: e.RATE_LIMIT_REFRESH_PER_IP,
      verificationResendPerUser: e.RATE_LIMIT_VERIFY_RESEND,
      passwordForgotPerIp: e.RATE_LIMIT_PASSWORD_FORGOT_PER_IP,
      passwordForgotPerEmail: e.RATE_LIMIT_PASSWORD_FORGOT_PER_EMAIL,
      emailChangePerUser: e.RATE_LIMIT_EMAIL_CHANGE,
    },
    logRequests: e.LOG_REQUESTS,
    corsOrigins: e.CORS_ORIGINS ?? defaultCorsOrigins(e.EMAIL_LINK_BASE_URL),
    appUrl: e.APP_URL,
    oidc: e.GOOGLE_CLIENT_ID === undefined || e.GOOGLE_CLIENT_SECRET === undefined ? undefined : {
      clientId: e.GOOGLE_CLIENT_ID,
      clientSecret: e.GOOGLE_CLIENT_SECRET,
      issuer: e.GOOGLE_ISSUER.replace(/\/+$/, ""),
    },
    oauthRedirectUris: e.OAUTH_REDIRECT_URIS,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
  };
}
