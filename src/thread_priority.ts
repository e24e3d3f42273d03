/**
 * Gives the calling thread the lowest CPU priority (nice 19), for Workers doing heavy background
 * computation (password hashing, pictures, the purge). When the cores are all busy, Linux then
 * runs the event loop that serves requests first and the Worker in the time left over; when they
 * are not, the Worker runs at full speed. Only the calling thread changes: Linux keeps a nice
 * value per thread.
 *
 * Returns whether the priority was lowered. Anywhere else than Linux with glibc, or without FFI
 * permission, it does nothing: the work still runs, just at normal priority.
 */
export function lowerThreadPriority(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    const threadId = Number(Deno.readLinkSync("/proc/thread-self").split("/").pop());
    const libc = Deno.dlopen("libc.so.6", {
      setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
    });
    try {
      const PRIO_PROCESS = 0; // with a thread id, Linux applies it to that thread alone
      return libc.symbols.setpriority(PRIO_PROCESS, threadId, 19) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}
