import * as oidc from "openid-client";
import type { OidcConfig } from "../config.ts";

/** What Vestibule keeps of a verified ID token. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  /** `true` only when the provider said so in the ID token (`email_verified: true`). */
  emailVerified: boolean;
}

/** Why talking to the provider failed: `unavailable` (network, discovery) or `rejected`. */
export class OidcError extends Error {
  override name = "OidcError";
  constructor(readonly kind: "unavailable" | "rejected", message: string) {
    super(message);
  }
}

/** The OpenID provider as the flow sees it: build the authorization URL, redeem the code. */
export interface OidcClient {
  /** The configured issuer (`GOOGLE_ISSUER`): identities are stored under it. */
  readonly issuer: string;
  /**
   * The provider's authorization URL for one sign-in, with Vestibule's own state, nonce and PKCE
   * challenge (S256).
   * @throws {OidcError} `unavailable` when discovery fails (retried on the next call)
   */
  authorizationUrl(params: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<URL>;
  /**
   * Exchanges the code in `callbackUrl` with the verifier and verifies the ID token: signature
   * from the provider's JWKS, `iss`, `aud`, `exp` (against `now`), `nonce` and `state`.
   * @throws {OidcError} `rejected` for anything that does not verify, `unavailable` otherwise
   */
  redeem(
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
    now: Date,
  ): Promise<VerifiedIdentity>;
}

/**
 * An OpenID Connect client over `openid-client` for any issuer (Google by default). Discovery
 * happens on first use and is cached, so start-up never needs the network; a failed discovery is
 * forgotten and retried. Plain `http` is accepted only for a loopback issuer (tests, local
 * providers). ID token signatures are checked against the provider's JWKS
 * (`enableNonRepudiationChecks`), not only trusted because they came over TLS. Times are checked
 * against the injected clock: the configuration carries the skew between it and the system clock.
 */
export function oidcClient(config: OidcConfig): OidcClient {
  const issuerUrl = new URL(config.issuer);
  const insecure = issuerUrl.protocol === "http:" &&
    ["127.0.0.1", "localhost", "[::1]"].includes(issuerUrl.hostname);
  let discovered: Promise<oidc.Configuration> | undefined;
  let configured: { skew: number; configuration: oidc.Configuration } | undefined;

  function discover(): Promise<oidc.Configuration> {
    discovered ??= oidc.discovery(
      issuerUrl,
      config.clientId,
      config.clientSecret,
      undefined,
      { execute: insecure ? [oidc.allowInsecureRequests] : [], timeout: 10 },
    ).catch((error) => {
      discovered = undefined;
      throw new OidcError("unavailable", `discovery failed: ${describe(error)}`);
    });
    return discovered;
  }

  /** The configuration whose clock agrees with `now` (whole seconds), JWKS cache carried over. */
  async function configurationAt(now: Date): Promise<oidc.Configuration> {
    const base = await discover();
    const skew = Math.round((now.getTime() - Date.now()) / 1000);
    if (configured?.skew === skew) return configured.configuration;
    const configuration = new oidc.Configuration(base.serverMetadata(), config.clientId, {
      client_secret: config.clientSecret,
      [oidc.clockSkew]: skew,
    });
    if (insecure) oidc.allowInsecureRequests(configuration);
    oidc.enableNonRepudiationChecks(configuration);
    const previous = configured && oidc.getJwksCache(configured.configuration);
    if (previous) oidc.setJwksCache(configuration, previous);
    configured = { skew, configuration };
    return configuration;
  }

  return {
    issuer: config.issuer,
    async authorizationUrl({ redirectUri, state, nonce, codeVerifier }) {
      const configuration = await discover();
      return oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope: "openid email profile",
        response_type: "code",
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
      });
    },
    async redeem(callbackUrl, checks, now) {
      const configuration = await configurationAt(now);
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        const network = error instanceof TypeError || (error instanceof Error &&
          /fetch|network|timed? ?out|ECONNREFUSED/i.test(error.message) &&
          !(error instanceof oidc.ResponseBodyError));
        throw new OidcError(network ? "unavailable" : "rejected", describe(error));
      }
      const claims = tokens.claims();
      if (claims === undefined) throw new OidcError("rejected", "no ID token");
      return {
        issuer: claims.iss,
        subject: claims.sub,
        email: typeof claims.email === "string" ? claims.email : null,
        emailVerified: claims.email_verified === true,
      };
    },
  };
}

/** The error and its causes, for the operator's log (no token or secret is ever in them). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const own = typeof code === "string" ? `${code}: ${error.message}` : error.message;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  if (cause === undefined || cause.message === error.message) return own;
  const claim = (cause as { cause?: { claim?: unknown } }).cause?.claim;
  return `${own} (${cause.message}${typeof claim === "string" ? `: ${claim}` : ""})`;
}
