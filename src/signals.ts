/**
 * SIGTERM/SIGINT handling shared by the pool and the CLI: the first signal asks for a graceful
 * stop, the second for a forced one. Returns a function that removes the listeners again.
 */
export function installSignalHandlers(graceful: () => void, forced: () => void, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
  let received = 0;
  const onSignal = () => {
    received++;
    if (received === 1) graceful();
    else forced();
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
