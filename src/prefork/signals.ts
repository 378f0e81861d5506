import { constants } from 'node:os';

/**
 * Signal names as users write them ('TERM' in the Perl facade, 'SIGTERM' in Node) normalised to
 * Node's names, and the shell's way of folding a signal death into one number (128 + signo).
 */

const SIGNALS = constants.signals as Record<string, number>;

/** 'TERM', 'SIGTERM' or 'sigterm' -> 'SIGTERM'; `undefined` when it is not a signal of this platform. */
export function toSignal(name: unknown): NodeJS.Signals | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  const upper = name.toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return Object.hasOwn(SIGNALS, full) ? (full as NodeJS.Signals) : undefined;
}

/** 'SIGTERM' -> 'TERM', for the Perl facade. */
export function shortSignal(signal: NodeJS.Signals): string {
  return signal.slice(3);
}

/** Exit status of a process killed by `signal`, the way a shell's `$?` reports it. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (SIGNALS[signal] ?? 0);
}

/** Signals Node cannot listen for: trapping them would throw or never fire. */
export const UNTRAPPABLE = new Set<NodeJS.Signals>(['SIGKILL', 'SIGSTOP']);

/** Receiving one of these ends the manager's loop for good: no new child starts afterwards. */
export const STOP_SIGNALS = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT']);
