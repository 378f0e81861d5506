import { ADDED_ENV } from '../channel/child-env.js';

/**
 * glibc's malloc hands blocks above its mmap threshold (128 KiB, raised later to the size of the
 * last big block freed) straight back to the kernel, and trims the top of its heap past twice
 * that. A worker receiving and returning 1 MiB payloads then page-faults each new buffer in
 * afresh, which on the virtual machines measured costs more than copying it (see BENCHMARKS.md).
 * Pool workers therefore start with both thresholds at 32 MiB: blocks below that are reused from
 * the heap, and a worker may keep up to 32 MiB of freed memory in its RSS rather than returning
 * it at once. Other C libraries ignore these variables.
 */
const THRESHOLD = String(32 * 1024 * 1024);
const ALLOCATOR_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: THRESHOLD, MALLOC_TRIM_THRESHOLD_: THRESHOLD };

/** `env` plus the allocator settings, unless the user tuned malloc there already. */
export function withAllocatorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // Setting any one of them turns glibc's own adjustment off: a user's choice is kept whole.
  if (Object.keys(ALLOCATOR_ENV).some((name) => env[name] !== undefined)) return env;
  return { ...env, ...ALLOCATOR_ENV, [ADDED_ENV]: Object.keys(ALLOCATOR_ENV).join(',') };
}
