/**
 * The HPACK Huffman code (RFC 7541 Appendix B) and a decoder that reads four bits per step.
 *
 * The code is canonical: codes of one length are consecutive and follow symbol order, and each
 * length's first code is the previous length's last code plus one, shifted left. So the table is
 * just the 257 code lengths (symbol 256 is EOS), from which `CODES` is rebuilt at load; the test
 * checks a few codes against the RFC's listing.
 *
 * Decoding walks a state machine derived from the code tree: a state is an inner node of the
 * tree, and each (state, nibble) pair has a precomputed next state and at most one emitted
 * symbol (no code is shorter than 5 bits). A string is valid when it ends in a state reached by
 * at most 7 one-bits from the root (the EOS-prefix padding) and never decodes EOS.
 *
 * @module
 */

/** Code length of each symbol 0..256, RFC 7541 Appendix B. */
// deno-fmt-ignore
const LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** The code of each symbol, right-aligned in `LENGTHS[sym]` bits. */
export const CODES: Uint32Array = (() => {
  const codes = new Uint32Array(257);
  const order = [...LENGTHS.keys()].sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
  let code = 0;
  let len = LENGTHS[order[0]!]!;
  for (const sym of order) {
    code *= 2 ** (LENGTHS[sym]! - len);
    len = LENGTHS[sym]!;
    codes[sym] = code++;
  }
  return codes;
})();

// Transition word: next state (bits 0-8), symbol (bits 9-16), emits (bit 17), fails (bit 18).
const EMITS = 1 << 17;
const FAILS = 1 << 18;

const { TRANSITIONS, ACCEPTING } = (() => {
  // The code tree: node 0 is the root; child[2n + bit] is a node id, or ~symbol for a leaf.
  const child: number[] = [0, 0];
  const depth = [0];
  const ones = [true];
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    let node = 0;
    for (let i = LENGTHS[sym]! - 1; i >= 0; i--) {
      const bit = Math.floor(CODES[sym]! / 2 ** i) & 1;
      if (i === 0) {
        child[2 * node + bit] = ~sym;
        break;
      }
      let next = child[2 * node + bit]!;
      if (next === 0) {
        next = nodes++;
        child.push(0, 0);
        depth.push(depth[node]! + 1);
        ones.push(ones[node]! && bit === 1);
        child[2 * node + bit] = next;
      }
      node = next;
    }
  }
  const transitions = new Int32Array(nodes * 16);
  const accepting = new Uint8Array(nodes);
  for (let state = 0; state < nodes; state++) {
    accepting[state] = ones[state]! && depth[state]! <= 7 ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let word = 0;
      for (let i = 3; i >= 0; i--) {
        const next = child[2 * node + ((nibble >> i) & 1)]!;
        if (next >= 0) {
          node = next;
          continue;
        }
        if (~next === EOS) word |= FAILS;
        word |= EMITS | (~next << 9);
        node = 0;
      }
      transitions[state * 16 + nibble] = word | node;
    }
  }
  return { TRANSITIONS: transitions, ACCEPTING: accepting };
})();

/**
 * Decodes `src[start, end)` into `out` from offset 0; returns the number of bytes written, or -1
 * when the input is not a valid Huffman string. `out` needs `(end - start) * 8 / 5` bytes.
 */
export function huffmanDecode(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): number {
  let state = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let word = TRANSITIONS[state * 16 + (byte >> 4)]!;
    if (word & EMITS) {
      if (word & FAILS) return -1;
      out[n++] = (word >> 9) & 0xff;
    }
    word = TRANSITIONS[(word & 0x1ff) * 16 + (byte & 0xf)]!;
    if (word & EMITS) {
      if (word & FAILS) return -1;
      out[n++] = (word >> 9) & 0xff;
    }
    state = word & 0x1ff;
  }
  return ACCEPTING[state] ? n : -1;
}

/** Huffman-encodes `src` (used by tests and raw-frame clients). */
export function huffmanEncode(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of src) {
    const len = LENGTHS[byte]!;
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(CODES[byte]! / 2 ** i) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | (0xff >> bits)) & 0xff);
  return new Uint8Array(out);
}
