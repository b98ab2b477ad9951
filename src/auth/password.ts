/**
 * Password hashing: scrypt (`node:crypto`, run off the event loop) with a random 16-byte salt
 * per password. The stored form carries its parameters, so they can be raised later without
 * breaking existing users:
 *
 * ```
 * scrypt$<N>$<r>$<p>$<salt, base64>$<32-byte key, base64>
 * scrypt$16384$8$1$0Kx3…==$q9T1…=
 * ```
 *
 * Verification compares in constant time. A stored hash whose parameters are outside sane
 * bounds (a damaged row) never verifies rather than letting one login eat the machine.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt's cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** The default: N=2^14, r=8, p=1 (16 MiB, about 0.1–0.2 s per hash). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };

const KEY_LEN = 32;
const SALT_LEN = 16;
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const { N, r, p } = params;
  const maxmem = 256 * N * r * p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LEN, { N, r, p, maxmem }, (err, key) => {
      if (err) reject(new Error(`Cannot hash a password with scrypt: ${err.message}`));
      else resolve(key);
    });
  });
}

function saneParams(params: ScryptParams): boolean {
  const { N, r, p } = params;
  return Number.isInteger(N) && N >= 2 && N <= MAX_N && (N & (N - 1)) === 0 &&
    Number.isInteger(r) && r >= 1 && r <= MAX_R && Number.isInteger(p) && p >= 1 && p <= MAX_P;
}

/** Hashes `password` with a fresh random salt; returns the stored form (see the module doc). */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  if (!saneParams(params)) {
    throw new RangeError(`Invalid scrypt parameters ${JSON.stringify(params)}`);
  }
  const salt = randomBytes(SALT_LEN);
  const key = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${
    key.toString("base64")
  }`;
}

/** Whether `password` matches `stored`; false for a stored form this module cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const params = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
  if (!saneParams(params)) return false;
  const salt = Buffer.from(parts[4]!, "base64");
  const expected = Buffer.from(parts[5]!, "base64");
  if (salt.length === 0 || expected.length !== KEY_LEN) return false;
  const actual = await derive(password, salt, params);
  return timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | undefined;

/**
 * Spends the time of one verification and returns false: used for unknown users, so the
 * answer time does not tell which user names exist.
 */
export async function verifyDecoy(password: string, params = DEFAULT_SCRYPT): Promise<false> {
  decoy ??= hashPassword(crypto.randomUUID(), params);
  await verifyPassword(password, await decoy);
  return false;
}
