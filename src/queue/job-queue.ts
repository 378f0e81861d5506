import { Fifo } from './fifo.js';

/**
 * Jobs waiting for a worker: higher `priority` first, first in first out within a priority.
 * One FIFO per priority in use, kept in a list sorted from the highest: push and shift are O(1)
 * while the priority is already in use (the usual case: every job at 0), and a new priority
 * costs a binary search and one insertion into that short list.
 */
export class JobQueue<T extends { readonly priority: number }> {
  /** The priorities in use, highest first. */
  readonly #levels: number[] = [];
  readonly #buckets = new Map<number, Fifo<T>>();
  #size = 0;

  get length(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#bucket(item.priority).push(item);
    this.#size++;
  }

  /** Puts items back at the front of their priorities (taken back, or re-run), in their order. */
  unshift(...items: T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i] as T;
      this.#bucket(item.priority).unshift(item);
      this.#size++;
    }
  }

  peek(): T | undefined {
    return this.#front()?.peek();
  }

  shift(): T | undefined {
    const bucket = this.#front();
    if (!bucket) return undefined;
    const item = bucket.shift();
    this.#size--;
    if (bucket.length === 0) this.#retire(item?.priority as number);
    return item;
  }

  /** The highest non-empty priority's FIFO (only the default priority 0 may stay empty in the list). */
  #front(): Fifo<T> | undefined {
    if (this.#size === 0) return undefined;
    for (const level of this.#levels) {
      const bucket = this.#buckets.get(level) as Fifo<T>;
      if (bucket.length > 0) return bucket;
    }
    return undefined;
  }

  /** Removes one item (O(n) in its priority); used only for cancellation. */
  remove(item: T): boolean {
    const bucket = this.#buckets.get(item.priority);
    if (!bucket?.remove(item)) return false;
    this.#size--;
    if (bucket.length === 0) this.#retire(item.priority);
    return true;
  }

  /** Takes every item out, in the order they would have been shifted. */
  drain(): T[] {
    const items: T[] = [];
    for (const level of this.#levels) items.push(...(this.#buckets.get(level)?.drain() ?? []));
    this.#levels.length = 0;
    this.#buckets.clear();
    this.#size = 0;
    return items;
  }

  /** An emptied priority leaves the list (but the default, 0, which is used all the time). */
  #retire(level: number): void {
    if (level === 0) return;
    this.#buckets.delete(level);
    this.#levels.splice(this.#levels.indexOf(level), 1);
  }

  #bucket(priority: number): Fifo<T> {
    let bucket = this.#buckets.get(priority);
    if (bucket) return bucket;
    bucket = new Fifo<T>();
    this.#buckets.set(priority, bucket);
    // Binary search for the first level lower than this one.
    let low = 0;
    let high = this.#levels.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#levels[mid] as number) > priority) low = mid + 1;
      else high = mid;
    }
    this.#levels.splice(low, 0, priority);
    return bucket;
  }
}
