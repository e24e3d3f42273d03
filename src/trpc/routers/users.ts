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

export const usersRouter = router({
  me: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/users/me",
        tags,
        summary: "Your profile",
        description: "The signed-in member's profile.",
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
      },
      errors: ["CURRENT_PASSWORD_INCORRECT", "SAME_PASSWORD", "PASSWORD_NOT_SET", "RATE_LIMITED"],
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
      },
      errors: ["SESSION_NOT_FOUND"],
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
      },
      errors: [
        "INVALID_PASSWORD",
        "RECENT_SIGN_IN_REQUIRED",
        "SAME_EMAIL",
        "EMAIL_TAKEN",
        "RATE_LIMITED",
      ],
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
      },
      errors: ["INVALID_VERIFICATION_TOKEN", "EMAIL_TAKEN"],
    })
    .input(verifyEmailInput)
    .output(emailUpdatedOutput)
    .mutation(async ({ ctx, input }) => {
      const { email } = await confirmEmailChange(ctx.deps, input.token, ctx.meta);
      return { message: "Email updated successfully", email };
    }),

  // REST: served by the edge (multipart), see src/http/profile_picture_route.ts.
  uploadProfilePicture: protectedProcedure
    .meta({
      // Served and documented by the edge; this meta names its route and its errors.
      openapi: { method: "POST", path: "/users/me/profile-picture", enabled: false },
      errors: [
        "NO_FILE",
        "FILE_TOO_LARGE",
        "UNSUPPORTED_IMAGE_TYPE",
        "IMAGE_TOO_LARGE",
        "IMAGE_UNREADABLE",
        "IMAGE_TIMEOUT",
      ],
    })
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
      },
    })
    .output(messageOutput)
    .mutation(async ({ ctx }) => {
      await removeProfilePicture(ctx.deps, ctx.auth, ctx.meta);
      return { message: "Profile picture removed" };
    }),

  // REST: served by the edge (a DELETE with a JSON body), see src/http/delete_account_route.ts.
  deleteMe: protectedProcedure
    .meta({
      // Served and documented by the edge; this meta names its route and its errors.
      openapi: { method: "DELETE", path: "/users/me", enabled: false },
      errors: ["INVALID_PASSWORD", "RECENT_SIGN_IN_REQUIRED", "RATE_LIMITED"],
    })
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
      },
      errors: ["INVALID_REDIRECT_URI", "OAUTH_NOT_CONFIGURED"],
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
      },
      errors: ["LAST_SIGN_IN_METHOD", "IDENTITY_NOT_FOUND"],
    })
    .output(messageOutput)
    .mutation(async ({ ctx }) => {
      await unlinkIdentity(ctx.deps, ctx.auth, ctx.meta);
      return { message: "Google unlinked" };
    }),
});
