import { z } from "zod";
import { timestamp } from "./common.ts";

export const identityOutput = z.object({
  provider: z.literal("google"),
  issuer: z.string().meta({ description: "The OpenID provider, e.g. https://accounts.google.com" }),
  subject: z.string().meta({ description: "The provider's stable id for you (`sub`)" }),
  email: z.string().nullable().meta({ description: "The provider's address when linked" }),
  created_at: timestamp,
}).meta({ id: "Identity" });

export const identitiesOutput = z.object({ identities: z.array(identityOutput) });

export const startLinkInput = z.strictObject({
  redirect_uri: z.string().min(1, "redirect_uri is required").max(2048)
    .meta({ description: "Where the browser comes back: one of OAUTH_REDIRECT_URIS" }),
  state: z.string().max(1024).optional()
    .meta({ description: "Your own state, handed back unchanged" }),
});

export const startLinkOutput = z.object({
  authorize_url: z.string().meta({
    description: "Open it in the browser; it is single use and carries no bearer token",
  }),
  expires_in: z.number().int().meta({ description: "Seconds the URL stays valid" }),
});
