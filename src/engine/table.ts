/**
 * The engine's two tables. Both are SQLite `WITHOUT ROWID` tables, i.e. B-trees keyed by `k`;
 * blob keys compare with `memcmp`, then by length (etcd's byte order).
 *
 * @module
 */

/**
 * `CREATE TABLE log(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID`: keyed by 12-byte big-endian
 * revisions, so writes append at the right edge of the B-tree.
 */
export const TABLE_LOG = 0;

/** `CREATE TABLE meta(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID`: small, random keys. */
export const TABLE_META = 1;

/** A table of the engine. */
export type Table = typeof TABLE_LOG | typeof TABLE_META;
