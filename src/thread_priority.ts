/**
 * Gives the calling thread the lowest CPU priority (`SCHED_IDLE`, and nice 19), for Workers doing
 * heavy background computation (password hashing, pictures). When the cores are all
 * busy, Linux then runs the event loop that serves requests first, preempting the Worker as soon
 * as the loop wakes, and the Worker in the time left over; when they are not, the Worker runs at
 * full speed. Only the calling thread changes: Linux keeps these per thread. (Measured: two such
 * threads spinning left a paced probe's p99 unchanged; at normal priority it rose 5x.)
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
      sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
    });
    try {
      const PRIO_PROCESS = 0; // with a thread id, Linux applies it to that thread alone
      const SCHED_IDLE = 5;
      const niced = libc.symbols.setpriority(PRIO_PROCESS, threadId, 19) === 0;
      const idle = libc.symbols.sched_setscheduler(threadId, SCHED_IDLE, new Int32Array(1)) === 0;
      return niced && idle;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}
