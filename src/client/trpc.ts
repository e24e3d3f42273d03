/**
 * The tRPC entry for apps that are not this repository: Vestibule's router type, written out
 * by `deno task client-types` so that importing it loads no server module (the server's own
 * `AppRouter` drags Workers, SQLite and FFI types into any program that imports it). It needs
 * only `@trpc/server`'s types, as every tRPC client does.
 *
 * @example
 * ```ts
 * import { createTRPCClient, httpLink } from "@trpc/client";
 * import type { AppRouter } from "./src/client/trpc.ts";
 *
 * const trpc = createTRPCClient<AppRouter>({
 *   links: [httpLink({ url: "https://accounts.example.com/trpc" })],
 * });
 * const { access_token } = await trpc.auth.login.mutate({ email, password });
 * ```
 */
export type { AppRouter, ErrorShape } from "./app_router.ts";
