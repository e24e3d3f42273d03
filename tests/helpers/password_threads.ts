/**
 * Run as its own process by `tests/services/passwords_test.ts`: hashes on a two-Worker hasher,
 * then prints, as JSON, the nice value of each of this process's threads (by thread id) and the
 * main thread's id. A process of its own, because parallel test files share one process.
 */
import { argon2idHasher } from "../../src/services/passwords.ts";

const hasher = argon2idHasher(2);
const hash = await hasher.hash("secure123");
// Requests queued behind a busy Worker start the second one; wait until it is up.
await Promise.all(Array.from({ length: 4 }, () => hasher.verify(hash, "secure123")));
for (let i = 0; i < 250 && Object.values(niceOfThreads()).filter((n) => n === 19).length < 2; i++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(JSON.stringify({ main: String(Deno.pid), nice: niceOfThreads() }));
hasher.close();

function niceOfThreads(): Record<string, number> {
  const nice: Record<string, number> = {};
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/stat`);
      nice[task.name] = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return nice;
}
