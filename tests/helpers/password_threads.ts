/**
 * Run as its own process by `tests/services/passwords_test.ts`: hashes on a two-Worker hasher,
 * then prints, as JSON, the nice value and scheduling policy of each of this process's threads
 * (by thread id) and the main thread's id. A process of its own, because parallel test files share one process.
 */
import { argon2idHasher } from "../../src/services/passwords.ts";

const hasher = argon2idHasher(2);
const hash = await hasher.hash("secure123");
// Requests queued behind a busy Worker start the second one; wait until it is up.
await Promise.all(Array.from({ length: 4 }, () => hasher.verify(hash, "secure123")));
for (let i = 0; i < 250 && lowered().length < 2; i++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(JSON.stringify({ main: String(Deno.pid), threads: threads() }));
hasher.close();

function lowered(): string[] {
  return Object.entries(threads()).filter(([, t]) => t.nice === 19).map(([id]) => id);
}

/** Fields 19 (nice) and 41 (policy) of /proc/self/task/<id>/stat, counted after the name. */
function threads(): Record<string, { nice: number; policy: number }> {
  const found: Record<string, { nice: number; policy: number }> = {};
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found[task.name] = { nice: Number(fields[16]), policy: Number(fields[38]) };
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}
