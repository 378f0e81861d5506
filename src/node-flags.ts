import { execFileSync } from 'node:child_process';

/**
 * Whether Node knows a command-line flag, so that `execArgv: ['--max-old-space-sise=64']` is
 * refused when the pool is made rather than found when each child exits with "bad option".
 *
 * `process.allowedNodeEnvironmentFlags` answers for the usual flags at no cost. Only a flag it
 * does not list makes this ask the Node binary itself (`--v8-options` and `--help`, once per
 * process); when that cannot be asked, the flag is taken as known and Node has the last word.
 */
let known: Set<string> | undefined | null;

const normalize = (flag: string): string => flag.replace(/_/g, '-');

function flagsOf(args: string[], pattern: RegExp): string[] {
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
  return [...out.matchAll(pattern)].map((match) => normalize(match[1] as string));
}

function knownFlags(): Set<string> | null {
  if (known !== undefined) return known;
  try {
    const flags = new Set<string>();
    for (const flag of flagsOf(['--v8-options'], /^\s+(--[a-z0-9_-]+)/gm)) {
      flags.add(flag);
      flags.add(`--no-${flag.slice(2)}`);
    }
    for (const flag of flagsOf(['--help'], /(?:^|[\s,])(--?[a-zA-Z0-9][a-zA-Z0-9_-]*)/gm)) flags.add(flag);
    known = flags;
  } catch {
    known = null;
  }
  return known;
}

/** The name of a flag in `arg` (`--name` of `--name=value`), or undefined for a flag's separate value. */
function flagName(arg: string): string | undefined {
  if (!arg.startsWith('-') || arg === '-' || arg === '--') return undefined;
  const equals = arg.indexOf('=');
  return normalize(equals === -1 ? arg : arg.slice(0, equals));
}

/** The first flag in `args` Node does not know, or undefined. */
export function unknownNodeFlag(args: readonly string[]): string | undefined {
  const allowed = process.allowedNodeEnvironmentFlags;
  for (const arg of args) {
    const name = flagName(arg);
    if (name === undefined || allowed.has(name) || allowed.has(arg)) continue;
    const flags = knownFlags();
    if (flags === null) return undefined;
    if (!flags.has(name)) return arg;
  }
  return undefined;
}
