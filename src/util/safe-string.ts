/** String(value) that never throws (a null-prototype object, a throwing toString or a proxy's trap would). */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      // A proxy whose get trap throws even for Symbol.toStringTag.
      return `[${typeof value}]`;
    }
  }
}
