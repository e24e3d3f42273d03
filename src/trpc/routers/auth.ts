import { login, register } from "../../services/accounts.ts";
import { logout, refreshSession } from "../../services/sessions.ts";
import {
  loginInput,
  refreshTokenInput,
  registerInput,
  signedInOutput,
  tokenPairOutput,
} from "../../schemas/auth.ts";
import { messageOutput } from "../../schemas/common.ts";
import { publicProcedure, router } from "../init.ts";

const tags = ["auth"];

export const authRouter = router({
  register: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/register",
        tags,
        protect: false,
        summary: "Create an account",
        description:
          "Creates an account and signs it in. `display_name` is accepted as an alias of `name`.",
        errorResponses: { 400: "Email already registered", 429: "Too many requests" },
      },
      successStatus: 201,
    })
    .input(registerInput)
    .output(signedInOutput)
    .mutation(({ ctx, input }) =>
      register(ctx.deps, { ...input, name: input.name ?? input.display_name }, ctx.meta)
    ),

  login: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/login",
        tags,
        protect: false,
        summary: "Sign in",
        description: "Signs in with email and password. Cancels a pending account deletion.",
        errorResponses: {
          400: "Invalid input",
          401: "Invalid email or password",
          429: "Too many requests",
        },
      },
    })
    .input(loginInput)
    .output(signedInOutput)
    .mutation(({ ctx, input }) => login(ctx.deps, input, ctx.meta)),

  refresh: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/refresh",
        tags,
        protect: false,
        summary: "Exchange a refresh token for a new pair",
        description:
          "The presented refresh token is spent. Replaying a spent one ends its session.",
        errorResponses: {
          400: "Invalid input",
          401: "Invalid refresh token",
          429: "Too many requests",
        },
      },
    })
    .input(refreshTokenInput)
    .output(tokenPairOutput)
    .mutation(({ ctx, input }) => refreshSession(ctx.deps, input.refresh_token, ctx.meta)),

  logout: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/logout",
        tags,
        protect: false,
        summary: "Sign out",
        description: "Ends the session the refresh token belongs to.",
        errorResponses: { 400: "Invalid input", 401: "Invalid refresh token" },
      },
    })
    .input(refreshTokenInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await logout(ctx.deps, input.refresh_token, ctx.meta);
      return { message: "Logged out" };
    }),
});
