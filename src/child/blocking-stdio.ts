/**
 * Writes to pipes are asynchronous in Node: a worker that exits (recycled, shrunk, closed, or
 * user code calling process.exit) would lose what it had queued for stdout and stderr, which is
 * what people read after an incident. Blocking writes put every line in the pipe before exit.
 */
export function blockingStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } })._handle?.setBlocking?.(true);
  }
}
