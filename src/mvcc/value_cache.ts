/**
 * A byte-bounded FIFO cache of current values, stored on the key index entries themselves.
 *
 * `KeyIndex.value` holds a key's current value when it is cached. Admission appends to a FIFO;
 * when the accounted bytes exceed the budget, the oldest admissions are evicted (their
 * `value` cleared if it is still the one admitted). A superseded value stays accounted until
 * its FIFO slot is reached, so the budget is an upper bound, never exceeded. Values handed to
 * callers are shared with the cache: treat them as read-only.
 *
 * @module
 */

import type { KeyIndex } from "./key_index.ts";

/** Bytes charged per cached value on top of its length (object and queue overhead). */
const ENTRY_OVERHEAD = 96;

/** The cache; see the module doc. */
export class ValueCache {
  readonly #budget: number;
  #bytes = 0;
  #keys: (KeyIndex | undefined)[] = [];
  #values: (Uint8Array | undefined)[] = [];
  #head = 0;

  /** Creates a cache that keeps at most `budget` accounted bytes. */
  constructor(budget: number) {
    this.#budget = budget;
  }

  /** Accounted bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Caches `value` as the current value of `ki`. */
  admit(ki: KeyIndex, value: Uint8Array): void {
    if (this.#budget <= 0) {
      ki.value = undefined;
      return;
    }
    ki.value = value;
    this.#keys.push(ki);
    this.#values.push(value);
    this.#bytes += value.length + ENTRY_OVERHEAD;
    while (this.#bytes > this.#budget && this.#head < this.#keys.length) this.#evictOne();
    if (this.#head > 4096 && this.#head * 2 > this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#values = this.#values.slice(this.#head);
      this.#head = 0;
    }
  }

  #evictOne(): void {
    const i = this.#head++;
    const ki = this.#keys[i]!;
    const value = this.#values[i]!;
    this.#keys[i] = undefined;
    this.#values[i] = undefined;
    this.#bytes -= value.length + ENTRY_OVERHEAD;
    if (ki.value === value) ki.value = undefined;
  }
}
