/**
 * `instanceof` for errors made by another copy of forkpool (a nested install, or the ES module
 * and CommonJS builds loaded side by side), where the prototype chains differ. Each class carries
 * a global brand on its prototype, `Symbol.for('forkpool.error.<CODE>')` (the base class:
 * `Symbol.for('forkpool.error')`), and asks values for its own brand. Internal: not exported from
 * the package.
 */

/** Where a class keeps its brand. Per copy on purpose: only this copy's classes are asked for it. */
const CLASS_BRAND = Symbol('forkpool.classBrand');

type Branded = abstract new (...args: never[]) => Error;

/** Brands `Class` and the errors it makes; `code` undefined brands the base class. */
export function brandError(Class: Branded, code: string | undefined): void {
  const brand = Symbol.for(code === undefined ? 'forkpool.error' : `forkpool.error.${code}`);
  Object.defineProperty(Class.prototype, brand, { value: true });
  Object.defineProperty(Class, CLASS_BRAND, { value: brand });
}

/**
 * True when `value` carries the brand of `Class` itself. A class without a brand of its own (a
 * user's subclass) claims nothing beyond the prototype chain, so it never matches its parent's errors.
 */
export function hasBrand(Class: object, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(Class, CLASS_BRAND)) return false;
  const brand = (Class as Record<symbol, symbol>)[CLASS_BRAND] as symbol;
  return (value as Record<symbol, unknown>)[brand] === true;
}
