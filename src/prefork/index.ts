/** The prefork manager's public surface (re-exported by the package root). */
export { Prefork, type PreforkCloseOptions } from './prefork.js';
export type { PreforkOptions } from './options.js';
export type { ChildReapEvent, ReapReason, PreforkContext, PreforkChildFunction, PreforkStats } from './types.js';
