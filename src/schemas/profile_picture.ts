import { z } from "zod";

export const pictureOutput = z.object({
  profile_picture: z.string().meta({ example: "/uploads/profiles/9b1d…/4f3a….jpg" }),
  message: z.string(),
}).meta({ id: "ProfilePictureUpdated" });

/** tRPC clients send the picture as `FormData` with the field `file`. */
export const pictureInput = z.instanceof(FormData);
