/**
 * The module URL a child entry point is started with (`node <entry> <module URL>`). Without it
 * the child cannot do anything useful: it says so on stderr and exits with 64 (EX_USAGE), which
 * the parent reports as a failed start.
 */
export function moduleUrlArgument(entry: string): string {
  const moduleUrl = process.argv[2];
  if (moduleUrl) return moduleUrl;
  process.stderr.write(`forkpool: the ${entry} entry needs a module URL\n`);
  process.exit(64);
}
