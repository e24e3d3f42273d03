import { z } from "zod";

/**
 * `page` and `limit` as query parameters. The REST edge passes query values as strings, so both
 * are coerced; anything that is not a whole number in range is a 400 naming the parameter.
 */
export const pageQuery = {
  page: z.coerce.number({ error: "page must be a whole number" })
    .int("page must be a whole number")
    .min(1, "page must be at least 1")
    .default(1)
    .meta({ description: "Page number, from 1", example: 1 }),
  limit: z.coerce.number({ error: "limit must be a whole number" })
    .int("limit must be a whole number")
    .min(1, "limit must be between 1 and 100")
    .max(100, "limit must be between 1 and 100")
    .default(20)
    .meta({ description: "Items per page, 1 to 100", example: 20 }),
};

export const paginationOutput = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int().meta({ description: "Items matching the filters, on every page" }),
  pages: z.number().int().meta({ description: "Pages at this limit; 0 when nothing matches" }),
}).meta({ id: "Pagination" });
