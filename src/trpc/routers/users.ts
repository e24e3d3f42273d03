import { changePassword, updateProfile } from "../../services/accounts.ts";
import { listSessions, revokeAllSessions, revokeSession } from "../../services/sessions.ts";
import { confirmEmailChange, requestEmailChange } from "../../services/email_change.ts";
import {
  changeEmailInput,
  changePasswordInput,
  emailUpdatedOutput,
  profileOutput,
  verifyEmailInput,
} from "../../schemas/auth.ts";
import { messageOutput } from "../../schemas/common.ts";
import {
  logoutAllOutput,
  sessionIdInput,
  sessionsOutput,
  updateProfileInput,
} from "../../schemas/users.ts";
import { pictureInput, pictureOutput } from "../../schemas/profile_picture.ts";
import { removeProfilePicture, setProfilePicture } from "../../services/profile_picture.ts";
import {
  accountExportOutput,
  deleteAccountInput,
  deletionScheduledOutput,
} from "../../schemas/account.ts";
import { requestDeletion } from "../../services/account_deletion.ts";
import { exportAccount } from "../../services/data_export.ts";
import { identitiesOutput, startLinkInput, startLinkOutput } from "../../schemas/identities.ts";
import { listMemberIdentities, unlinkIdentity } from "../../services/identities.ts";
import { startLink } from "../../services/oauth_flow.ts";
import { protectedProcedure, publicProcedure, router } from "../init.ts";

const tags = ["account"];
const unauthorized = { 401: "Authentication required" };

export const usersRouter = router({
  me: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me",
        tags,
        summary: "Your profile",
        description: "The signed-in member's profile.",
        errorResponses: unauthorized,
      },
    })
    .output(profileOutput)
    .query(({ ctx }) => ctx.auth.profile),

  updateMe: protectedProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/users/me",
        tags,
        summary: "Update your profile",
        description:
          "Changes name and phone; fields left out stay as they are, `phone: null` clears it.",
        errorResponses: { 400: "Invalid input", ...unauthorized },
      },
    })
    .input(updateProfileInput)
    .output(profileOutput)
    .mutation(({ ctx, input }) => updateProfile(ctx.deps, ctx.auth, input, ctx.meta)),

  changePassword: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/users/me/password",
        tags,
        summary: "Change your password",
        description:
          "Signs out every other session; this one stays signed in. A member without a " +
          "password (signed up with Google) sets one through the reset mail instead (400 " +
          "`PASSWORD_NOT_SET`).",
        errorResponses: {
          400: "Password does not meet requirements",
          401: "Current password is incorrect",
          429: "Too many wrong passwords on this account",
        },
      },
    })
    .input(changePasswordInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await changePassword(ctx.deps, ctx.auth, input, ctx.meta);
      return { message: "Password changed successfully" };
    }),

  sessions: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/sessions",
        tags,
        summary: "Your active sessions",
        description: "Every live session, most recently used first; `current` marks this one.",
        errorResponses: unauthorized,
      },
    })
    .output(sessionsOutput)
    .query(async ({ ctx }) => ({ sessions: await listSessions(ctx.deps, ctx.auth) })),

  revokeSession: protectedProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/users/me/sessions/{id}",
        tags,
        summary: "Sign a session out",
        description: "Revokes one of your sessions; its tokens stop working at once.",
        errorResponses: { ...unauthorized, 404: "Session not found" },
      },
    })
    .input(sessionIdInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      await revokeSession(ctx.deps, ctx.auth, input.id, ctx.meta);
      return { message: "Session revoked" };
    }),

  logoutAll: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/users/me/logout-all",
        tags,
        summary: "Sign out everywhere",
        description: "Revokes every session of yours, this one included.",
        errorResponses: unauthorized,
      },
    })
    .output(logoutAllOutput)
    .mutation(async ({ ctx }) => {
      const revoked = await revokeAllSessions(ctx.deps, ctx.auth, ctx.meta);
      return { message: "Logged out of all sessions", revoked };
    }),

  changeEmail: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/users/me/email/change",
        tags,
        summary: "Change your email address",
        description:
          "Mails a confirmation link to the new address; the address changes when it is used. " +
          "A member without a password (signed up with Google) leaves `password` out and must " +
          "have signed in within the last 10 minutes.",
        errorResponses: {
          400: "Email already registered",
          401: "Invalid password; Recent sign-in required (members without a password)",
          429: "Too many requests, or too many wrong passwords on this account",
        },
      },
    })
    .input(changeEmailInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      const { email } = await requestEmailChange(ctx.deps, ctx.auth, input, ctx.meta);
      return { message: `Verification email sent to ${email}` };
    }),

  verifyEmailChange: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/users/me/email/verify",
        tags,
        protect: false,
        summary: "Confirm a new email address",
        description: "Uses the token mailed to the new address; no bearer token needed.",
        errorResponses: { 400: "Invalid verification token" },
      },
    })
    .input(verifyEmailInput)
    .output(emailUpdatedOutput)
    .mutation(async ({ ctx, input }) => {
      const { email } = await confirmEmailChange(ctx.deps, input.token, ctx.meta);
      return { message: "Email updated successfully", email };
    }),

  // REST: served by the edge (multipart), see src/http/profile_picture_route.ts.
  uploadProfilePicture: protectedProcedure
    .input(pictureInput)
    .output(pictureOutput)
    .mutation(async ({ ctx, input }) => {
      const file = input.get("file");
      const bytes = file instanceof File ? new Uint8Array(await file.arrayBuffer()) : null;
      const { profile_picture } = await setProfilePicture(ctx.deps, ctx.auth, bytes, ctx.meta);
      return { profile_picture, message: "Profile picture updated" };
    }),

  removeProfilePicture: protectedProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/users/me/profile-picture",
        tags,
        summary: "Remove your profile picture",
        description: "Clears the picture from your profile and deletes the file.",
        errorResponses: unauthorized,
      },
    })
    .output(messageOutput)
    .mutation(async ({ ctx }) => {
      await removeProfilePicture(ctx.deps, ctx.auth, ctx.meta);
      return { message: "Profile picture removed" };
    }),

  // REST: served by the edge (a DELETE with a JSON body), see src/http/delete_account_route.ts.
  deleteMe: protectedProcedure
    .input(deleteAccountInput)
    .output(deletionScheduledOutput)
    .mutation(async ({ ctx, input }) => {
      const { deletion_date } = await requestDeletion(ctx.deps, ctx.auth, input.password, ctx.meta);
      return { message: "Account scheduled for deletion", deletion_date };
    }),

  export: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/export",
        tags,
        summary: "Export your data",
        description:
          "Everything Vestibule holds about you, as one JSON document (data portability).",
        errorResponses: unauthorized,
      },
    })
    .output(accountExportOutput)
    .query(({ ctx }) => exportAccount(ctx.deps, ctx.auth)),

  identities: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me/identities",
        tags,
        summary: "Your linked sign-in providers",
        description: "The Google identity linked to your account, if any.",
        errorResponses: unauthorized,
      },
    })
    .output(identitiesOutput)
    .query(async ({ ctx }) => ({ identities: await listMemberIdentities(ctx.deps, ctx.auth) })),

  linkGoogle: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/users/me/identities/google",
        tags,
        summary: "Link Google to your account",
        description:
          "Returns a single-use authorize URL (5 minutes) to open in the browser. After Google, " +
          "the browser comes back to `redirect_uri` with `linked=google` (or `error`), your " +
          "`state` and `iss`. Refused there if that Google account belongs to another member.",
        errorResponses: {
          400: "redirect_uri is not registered",
          401: "Authentication required",
          404: "Sign in with Google is not configured",
        },
      },
    })
    .input(startLinkInput)
    .output(startLinkOutput)
    .mutation(({ ctx, input }) => startLink(ctx.deps, ctx.auth, input)),

  unlinkGoogle: protectedProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/users/me/identities/google",
        tags,
        summary: "Unlink Google from your account",
        description:
          "Refused while it is your only way to sign in: set a password first (reset mail).",
        errorResponses: {
          400: "Set a password before unlinking Google: it is your only way to sign in",
          401: "Authentication required",
          404: "No Google account is linked",
        },
      },
    })
    .output(messageOutput)
    .mutation(async ({ ctx }) => {
      await unlinkIdentity(ctx.deps, ctx.auth, ctx.meta);
      return { message: "Google unlinked" };
    }),
});
