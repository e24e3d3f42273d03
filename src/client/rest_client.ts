import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./api_types.ts";

/** The REST client: every path, body, parameter and answer typed from `openapi.json`. */
export type VestibuleClient = Client<paths>;

/** An error answer of the REST API (`detail` for a person, `code` stable for programs). */
export type ApiError = components["schemas"]["Error"];

/**
 * A typed REST client for Vestibule at `baseUrl` (the server's origin, or anything ending before
 * `/api/v1`). Before each request it asks `getToken` for the member's access token and sends it
 * as `Authorization: Bearer …` when there is one; public operations work with no token.
 *
 * @param baseUrl e.g. `https://accounts.example.com`
 * @param getToken the current access token, or `null`/`undefined` when signed out
 * @param options.fetch a `fetch` to use instead of the global one
 * @example
 * ```ts
 * let token: string | undefined;
 * const api = createVestibuleClient("https://accounts.example.com", () => token);
 * const { data, error } = await api.POST("/auth/login", { body: { email, password } });
 * if (data) token = data.access_token;
 * else console.error(error.code, error.detail);
 * ```
 */
export function createVestibuleClient(
  baseUrl: string,
  getToken: () => string | null | undefined | Promise<string | null | undefined>,
  options: { fetch?: typeof fetch } = {},
): VestibuleClient {
  const client = createClient<paths>({
    baseUrl: `${baseUrl.replace(/\/+$/, "").replace(/\/api\/v1$/, "")}/api/v1`,
    fetch: options.fetch,
  });
  const bearer: Middleware = {
    async onRequest({ request }) {
      const token = await getToken();
      if (token) request.headers.set("authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}
