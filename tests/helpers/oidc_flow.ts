import * as oauth from "oauth4webapi";
import { startOidcProvider, type TestOidcProvider } from "./oidc_provider.ts";
import { startTestServer, type TestServer } from "./test_server.ts";

export const APP_REDIRECT = "https://app.example/callback";
export const CLIENT_ID = "vestibule-test-client";

/** A free TCP port on 127.0.0.1 (so PUBLIC_URL can name the server's real address). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Vestibule configured against a real OpenID provider process, and the app's OAuth client. */
export interface OidcWorld {
  server: TestServer;
  provider: TestOidcProvider;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  close(): Promise<void>;
}

/** Starts the provider, then Vestibule with `PUBLIC_URL` at its real address. */
export async function startOidcWorld(): Promise<OidcWorld> {
  const provider = await startOidcProvider();
  const start = () => {
    const port = freePort();
    return startTestServer({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      GOOGLE_CLIENT_ID: CLIENT_ID,
      GOOGLE_CLIENT_SECRET: "provider-secret",
      GOOGLE_ISSUER: provider.issuer,
      OAUTH_REDIRECT_URIS: `${APP_REDIRECT},http://127.0.0.1/native`,
    });
  };
  // The port is free when chosen; a parallel test may take it before the server binds, which the
  // server reports as a StartupError caused by AddrInUse. Another free port is chosen then.
  let server: TestServer | undefined;
  for (let attempt = 1; server === undefined; attempt++) {
    server = await start().catch((error) => {
      if (attempt === 5 || !(error?.cause instanceof Deno.errors.AddrInUse)) throw error;
      return undefined;
    });
  }
  const issuer = new URL(server.url);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, {
      algorithm: "oauth2",
      [oauth.allowInsecureRequests]: true,
    }),
  );
  return {
    server,
    provider,
    as,
    client: { client_id: "my-app" },
    close: async () => {
      await server.close();
      await provider.close();
    },
  };
}

/** A browser: follows nothing by itself, keeps cookies per origin (enough for this flow). */
export class Browser {
  cookies = new Map<string, string>();

  /** One request; stores Set-Cookie, returns the response (a redirect is not followed). */
  async get(url: string): Promise<Response> {
    const origin = new URL(url).origin;
    const cookie = this.cookies.get(origin);
    const response = await fetch(url, {
      redirect: "manual",
      headers: { accept: "text/html", ...(cookie ? { cookie } : {}) },
    });
    const set = response.headers.get("set-cookie");
    if (set) this.cookies.set(origin, set.split(";")[0]);
    return response;
  }
}

/** What the app holds for one sign-in it started. */
export interface Started {
  verifier: string;
  state: string;
  authorizeUrl: string;
}

/** Step 1 as a stock OAuth client builds it. */
export async function appAuthorizeUrl(
  world: OidcWorld,
  overrides: Record<string, string> = {},
): Promise<Started> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(world.as.authorization_endpoint!);
  const params = {
    client_id: world.client.client_id,
    redirect_uri: APP_REDIRECT,
    response_type: "code",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...overrides,
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return { verifier, state, authorizeUrl: url.href };
}

/**
 * Runs the browser's part: Vestibule's authorize → the provider → Vestibule's callback. Returns
 * the final answer (normally a redirect to the app); `beforeCallback` may tamper with the URL.
 */
export async function browse(
  world: OidcWorld,
  authorizeUrl: string,
  options: { browser?: Browser; beforeCallback?: (url: URL) => void } = {},
): Promise<Response> {
  const browser = options.browser ?? new Browser();
  const toProvider = await browser.get(authorizeUrl);
  await toProvider.body?.cancel();
  if (toProvider.status !== 302) return toProvider;
  const location = toProvider.headers.get("location")!;
  if (!location.startsWith(world.provider.issuer)) return toProvider; // an error for the app
  const back = await browser.get(location);
  await back.body?.cancel();
  const callback = new URL(back.headers.get("location")!);
  options.beforeCallback?.(callback);
  return await browser.get(callback.href);
}

/** Steps 1 to 4 for a stock client: the token response (`access_token`, `user`, ...). */
export async function signInWithGoogle(
  world: OidcWorld,
  claims: Record<string, unknown>,
): Promise<Record<string, unknown> & { access_token: string }> {
  await world.provider.next({ claims: withTimes(world, claims) });
  const started = await appAuthorizeUrl(world);
  const answer = await browse(world, started.authorizeUrl);
  const params = oauth.validateAuthResponse(
    world.as,
    world.client,
    new URL(answer.headers.get("location")!),
    started.state,
  );
  const response = await oauth.authorizationCodeGrantRequest(
    world.as,
    world.client,
    oauth.None(),
    params,
    APP_REDIRECT,
    started.verifier,
    { [oauth.allowInsecureRequests]: true },
  );
  return await oauth.processAuthorizationCodeResponse(world.as, world.client, response) as
    & Record<string, unknown>
    & { access_token: string };
}

/** ID token times on the server's (manual) clock, which is what Vestibule checks them against. */
export function withTimes(world: OidcWorld, claims: Record<string, unknown>) {
  const now = Math.floor(world.server.clock.now().getTime() / 1000);
  return { iat: now, nbf: now - 10, exp: now + 3600, ...claims };
}

/** The query of the app's redirect, as a plain object. */
export function appParams(response: Response): Record<string, string> {
  const location = response.headers.get("location");
  if (location === null) throw new Error(`no redirect (${response.status})`);
  const url = new URL(location);
  if (`${url.origin}${url.pathname}` !== APP_REDIRECT) throw new Error(`not the app: ${location}`);
  return Object.fromEntries(url.searchParams);
}
