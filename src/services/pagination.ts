/** Where a page sits in a listing. */
export interface Page {
  page: number;
  limit: number;
  total: number;
  pages: number;
}

/** The pagination block of a listing: `pages` is 0 when nothing matches. */
export function pageOf(page: number, limit: number, total: number): Page {
  return { page, limit, total, pages: Math.ceil(total / limit) };
}
