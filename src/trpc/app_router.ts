import { router } from "./init.ts";
import { adminRouter } from "./routers/admin.ts";
import { authRouter } from "./routers/auth.ts";
import { creditsRouter } from "./routers/credits.ts";
import { usersRouter } from "./routers/users.ts";
import { webhooksRouter } from "./routers/webhooks.ts";

/** The one router tree: served as tRPC at `/trpc` and as REST at `/api/v1`. */
export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  credits: creditsRouter,
  admin: adminRouter,
  webhooks: webhooksRouter,
});

/** The type TypeScript clients import for end-to-end types. */
export type AppRouter = typeof appRouter;
