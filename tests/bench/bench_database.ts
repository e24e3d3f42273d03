import pg from "pg";

/**
 * A fresh PostgreSQL database for one bench run when `BENCH_DATABASE_URL` is set (a server on
 * which the user may create databases), dropped by `drop`; `undefined` means: SQLite.
 */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = Deno.env.get("BENCH_DATABASE_URL");
  if (!admin) return undefined;
  const name = `vestibule_bench_${crypto.randomUUID().replaceAll("-", "")}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
