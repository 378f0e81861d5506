/** String(value) that never throws (a null-prototype object or a throwing toString would). */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
