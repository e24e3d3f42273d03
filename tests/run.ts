// `deno task test [files…]`: the suite on SQLite, then once more on PostgreSQL when
// TEST_DATABASE_URL is set (each test server then creates a database of its own on that server).
const targets = Deno.args.length > 0 ? Deno.args : ["tests/"];
const postgres = Deno.env.get("TEST_DATABASE_URL") || undefined;

async function suite(label: string, databaseUrl: string): Promise<boolean> {
  console.log(`\n=== deno test on ${label} ===`);
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--parallel", ...targets],
    env: { TEST_DATABASE_URL: databaseUrl },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return success;
}

const results = [["SQLite", await suite("SQLite", "")]];
if (postgres !== undefined) results.push(["PostgreSQL", await suite("PostgreSQL", postgres)]);
for (const [label, ok] of results) console.log(`${label}: ${ok ? "passed" : "FAILED"}`);
Deno.exit(results.every(([, ok]) => ok) ? 0 : 1);
