import { z } from "zod";

export const pictureOutput = z.object({
  profile_picture: z.string().meta({ example: "/uploads/profiles/9b1d…/4f3a….jpg" }),
  message: z.string(),
}).meta({ id: "ProfilePictureUpdated" });

/**
 * The picture as `FormData` with the one field `file` (REST's multipart body arrives as the same
 * `FormData`). Any other part is refused by name, as JSON bodies refuse unknown fields, and so is
 * a part without a name.
 */
export const pictureInput = z.instanceof(FormData).superRefine((form, ctx) => {
  for (const name of new Set(form.keys())) {
    if (name === "file") continue;
    ctx.addIssue({
      code: "custom",
      message: name === "" ? "Form part without a name" : `Unknown field: ${name}`,
      path: name === "" ? [] : [name],
    });
  }
});
