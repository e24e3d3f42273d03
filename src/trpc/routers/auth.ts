import { login, register } from "../../services/accounts.ts";
import { logout, refreshSession } from "../../services/sessions.ts";
import { resendVerification, verifyEmail } from "../../services/email_verification.ts";
import { requestPasswordReset, resetPassword } from "../../services/password_reset.ts";
import {
  emailUpdatedOutput,
  forgotPasswordInput,
  loginInput,
  refreshTokenInput,
  registerInput,
  resetPasswordInput,
  signedInOutput,
  tokenPairOutput,
  verifyEmailInput,
} from "../../schemas/auth.ts";
import { messageOutput } from "../../schemas/common.ts";
import {
  cancelDeletionInput,
  emailChangeRevertedOutput,
  revertEmailChangeInput,
} from "../../schemas/account.ts";
import { revertEmailChange } from "../../services/email_change.ts";
import { cancelDeletion } from "../../services/account_deletion.ts";
import { protectedProcedure, publicProcedure, router } from "../init.ts";

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
      },
      errors: ["EMAIL_TAKEN", "RATE_LIMITED"],
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
      },
      errors: ["INVALID_CREDENTIALS", "RATE_LIMITED"],
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
      },
      errors: ["INVALID_REFRESH_TOKEN", "RATE_LIMITED"],
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
      },
      errors: ["INVALID_REFRESH_TOKEN"],
    })
    .input(refreshTokenInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await logout(ctx.deps, input.refresh_token, ctx.meta);
      return { message: "Logged out" };
    }),

  verifyEmail: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/verify-email",
        tags,
        protect: false,
        summary: "Confirm your email address",
        description: "Uses the token from the verification mail; it works once.",
      },
      errors: ["INVALID_VERIFICATION_TOKEN"],
    })
    .input(verifyEmailInput)
    .output(emailUpdatedOutput)
    .mutation(async ({ ctx, input }) => {
      const { email } = await verifyEmail(ctx.deps, input.token, ctx.meta);
      return { message: "Email verified", email };
    }),

  resendVerification: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/verify-email/resend",
        tags,
        summary: "Send a new verification link",
        description: "Mails a new link to your address; earlier links stop working.",
      },
      errors: ["ALREADY_VERIFIED", "RATE_LIMITED"],
    })
    .output(messageOutput)
    .mutation(async ({ ctx }) => {
      await resendVerification(ctx.deps, ctx.auth, ctx.meta);
      return { message: "Verification email sent" };
    }),

  forgotPassword: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/password/forgot",
        tags,
        protect: false,
        summary: "Ask for a password reset link",
        description: "Answers 202 the same way whether or not the address has an account.",
      },
      errors: ["RATE_LIMITED"],
      successStatus: 202,
    })
    .input(forgotPasswordInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await requestPasswordReset(ctx.deps, input.email, ctx.meta);
      return { message: "If an account exists for that address, a reset link is on its way" };
    }),

  resetPassword: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/password/reset",
        tags,
        protect: false,
        summary: "Set a new password with a reset token",
        description: "Every session is signed out; the member is told by mail.",
      },
      errors: ["INVALID_RESET_TOKEN"],
    })
    .input(resetPasswordInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await resetPassword(ctx.deps, input, ctx.meta);
      return { message: "Password has been reset" };
    }),

  cancelDeletion: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/deletion/cancel",
        tags,
        protect: false,
        summary: "Cancel a pending account deletion",
        description:
          "Uses the token from the deletion mail; the account is active again. Sign in afterwards.",
      },
      errors: ["INVALID_CANCELLATION_TOKEN"],
    })
    .input(cancelDeletionInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await cancelDeletion(ctx.deps, input.token, ctx.meta);
      return { message: "Account deletion cancelled" };
    }),

  revertEmailChange: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/email-change/revert",
        tags,
        protect: false,
        summary: 'Undo an email change ("this wasn\'t me")',
        description:
          "Uses the token from the notice sent to the old address (valid 7 days, single use). " +
          "The account gets that address back, every session is revoked, the password stops " +
          "working, and a reset link goes to the restored address.",
      },
      errors: ["INVALID_REVERT_TOKEN", "REVERT_ADDRESS_TAKEN"],
    })
    .input(revertEmailChangeInput)
    .output(emailChangeRevertedOutput)
    .mutation(async ({ ctx, input }) => {
      const { email } = await revertEmailChange(ctx.deps, input.token, ctx.meta);
      return {
        message: "Email address restored; choose a new password with the link sent to it",
        email,
      };
    }),
});
