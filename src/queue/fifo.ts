/**
 * A double-ended queue on a growable ring buffer: O(1) push, shift and unshift
 * (Array#shift is O(n) on large arrays, which made a 100k-job burst quadratic).
 */
export class Fifo<T> {
  #items: Array<T | undefined> = new Array(16);
  #head = 0;
  #size = 0;

  get length(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
  }

  unshift(...items: T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.#size === this.#items.length) this.#grow();
      this.#head = (this.#head - 1 + this.#items.length) % this.#items.length;
      this.#items[this.#head] = items[i];
      this.#size++;
    }
  }

  /** The item `shift` would return, left in place. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return item;
  }

  /** Removes one item (O(n)); used only for cancellation. */
  remove(item: T): boolean {
    const capacity = this.#items.length;
    for (let i = 0; i < this.#size; i++) {
      if (this.#items[(this.#head + i) % capacity] !== item) continue;
      for (let j = i; j < this.#size - 1; j++) {
        this.#items[(this.#head + j) % capacity] = this.#items[(this.#head + j + 1) % capacity];
      }
      this.#items[(this.#head + this.#size - 1) % capacity] = undefined;
      this.#size--;
      return true;
    }
    return false;
  }

  /** Empties the queue and returns what it held, in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    this.#head = 0;
    return out;
  }

  #grow(): void {
    const old = this.#items;
    const next: Array<T | undefined> = new Array(old.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) % old.length];
    this.#items = next;
    this.#head = 0;
  }
}
