/**
 * The only code that touches the engine's wasm memory.
 *
 * The C side allocates two buffers once: `in` (keys, write batches, the path) and `out` (values,
 * scan blocks); this class keeps their addresses and grows them when a request or a result does
 * not fit. A call into wasm may grow the memory, which detaches the old `ArrayBuffer`, so every
 * accessor checks its cached view and re-creates it when it has been detached. Pointers come
 * back from wasm as signed i32; `>>> 0` makes those above 2 GiB positive.
 *
 * @module
 */

import { EngineError } from "../errors.ts";
import type { EngineExports } from "./_exports.ts";

const INITIAL_IN_BYTES = 64 * 1024;
/** Copies of values up to ARENA_MAX_VALUE bytes are carved from chunks of ARENA_CHUNK_BYTES. */
const ARENA_CHUNK_BYTES = 64 * 1024;
const ARENA_MAX_VALUE = 2048;
const INITIAL_OUT_BYTES = 256 * 1024;
const SQLITE_NOMEM = 7;

const decoder = new TextDecoder();

/** The engine instance's memory and its `in`/`out` buffers. */
export class EngineMemory {
  readonly #memory: WebAssembly.Memory;
  readonly #fn: EngineExports;
  readonly #label: string;
  #bytes: Uint8Array;
  #view: DataView;
  #inPtr = 0;
  #inCapacity = 0;
  #outPtr = 0;
  #outCapacity = 0;
  #arena = new Uint8Array(0);
  #arenaUsed = 0;

  /** Allocates the buffers; `label` names the engine file in error messages. */
  constructor(fn: EngineExports, label: string) {
    this.#memory = fn.memory;
    this.#fn = fn;
    this.#label = label;
    this.#bytes = new Uint8Array(this.#memory.buffer);
    this.#view = new DataView(this.#memory.buffer);
    this.reserveInput(INITIAL_IN_BYTES);
    this.reserveOutput(INITIAL_OUT_BYTES);
  }

  /** A view of the whole memory, current as of now (valid until the next call into wasm). */
  bytes(): Uint8Array {
    if (this.#bytes.byteLength === 0) this.#refresh();
    return this.#bytes;
  }

  /** A `DataView` of the whole memory, current as of now. */
  view(): DataView {
    if (this.#view.byteLength === 0) this.#refresh();
    return this.#view;
  }

  /** The memory's size in bytes. */
  get byteLength(): number {
    return this.#memory.buffer.byteLength;
  }

  /** The address of the `out` buffer. */
  get outPtr(): number {
    return this.#outPtr;
  }

  /** Makes `in` hold at least `byteLength` bytes (its contents are not kept). */
  reserveInput(byteLength: number): void {
    if (byteLength <= this.#inCapacity) return;
    const capacity = grownCapacity(this.#inCapacity, byteLength);
    const ptr = capacity < byteLength ? 0 : this.#fn.kv_in(capacity) >>> 0;
    if (ptr === 0) throw this.#outOfMemory("input", capacity);
    this.#inPtr = ptr;
    this.#inCapacity = capacity;
  }

  /** Makes `out` hold at least `byteLength` bytes (its contents are not kept). */
  reserveOutput(byteLength: number): void {
    if (byteLength <= this.#outCapacity) return;
    const capacity = grownCapacity(this.#outCapacity, byteLength);
    const ptr = capacity < byteLength ? 0 : this.#fn.kv_out(capacity) >>> 0;
    if (ptr === 0) throw this.#outOfMemory("output", capacity);
    this.#outPtr = ptr;
    this.#outCapacity = capacity;
  }

  /** Copies `data` into `in` at offset 0 (one `set`), growing `in` first if needed. */
  writeInput(data: Uint8Array): void {
    this.reserveInput(data.length);
    this.bytes().set(data, this.#inPtr);
  }

  /** Copies `first` and then `second` into `in`, back to back. */
  writeInputs(first: Uint8Array, second: Uint8Array): void {
    this.reserveInput(first.length + second.length);
    const bytes = this.bytes();
    bytes.set(first, this.#inPtr);
    bytes.set(second, this.#inPtr + first.length);
  }

  /**
   * An owned copy of the first `byteLength` bytes of `out`. Small copies are carved from a
   * shared chunk that is never written again (a fresh `ArrayBuffer` per value costs ~1 µs, ten
   * times the copy), so a copy's `buffer` may hold other values this engine returned.
   */
  readOutput(byteLength: number): Uint8Array {
    const source = this.bytes().subarray(this.#outPtr, this.#outPtr + byteLength);
    if (byteLength > ARENA_MAX_VALUE) return source.slice();
    if (this.#arenaUsed + byteLength > this.#arena.length) {
      this.#arena = new Uint8Array(ARENA_CHUNK_BYTES);
      this.#arenaUsed = 0;
    }
    const start = this.#arenaUsed;
    this.#arena.set(source, start);
    this.#arenaUsed = start + byteLength;
    return this.#arena.subarray(start, start + byteLength);
  }

  /** Reads `count` little-endian f64 values from the start of `out`. */
  readOutputF64(count: number): number[] {
    const view = this.view();
    return Array.from({ length: count }, (_, i) => view.getFloat64(this.#outPtr + i * 8, true));
  }

  /** Reads `count` `[u32 length][utf-8 text]` records from the start of `out`. */
  readOutputTexts(count: number): string[] {
    const bytes = this.bytes();
    const view = this.view();
    const texts: string[] = [];
    let at = this.#outPtr;
    for (let i = 0; i < count; i++) {
      const length = view.getUint32(at, true);
      texts.push(decoder.decode(bytes.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    return texts;
  }

  /** Decodes `byteLength` bytes of UTF-8 at `ptr`. */
  readString(ptr: number, byteLength: number): string {
    ptr >>>= 0;
    return decoder.decode(this.bytes().subarray(ptr, ptr + byteLength));
  }

  /** Decodes the NUL-terminated UTF-8 string at `ptr`. */
  readCString(ptr: number): string {
    ptr >>>= 0;
    const bytes = this.bytes();
    const end = bytes.indexOf(0, ptr);
    return decoder.decode(bytes.subarray(ptr, end < 0 ? bytes.length : end));
  }

  #refresh(): void {
    this.#bytes = new Uint8Array(this.#memory.buffer);
    this.#view = new DataView(this.#memory.buffer);
  }

  #outOfMemory(buffer: string, capacity: number): EngineError {
    return new EngineError(
      `Cannot grow the ${buffer} buffer for engine file "${this.#label}" to ${capacity} bytes: ` +
        "out of memory (SQLITE_NOMEM)",
      SQLITE_NOMEM,
    );
  }
}

/** Doubles `current` until it holds `needed`, capped at 2 GiB - 1 (the limit of a C int). */
function grownCapacity(current: number, needed: number): number {
  let capacity = Math.max(current, 4096);
  while (capacity < needed) capacity *= 2;
  return Math.min(capacity, 0x7fffffff);
}
