/**
 * The MVCC revision layer: etcd's data model over a revision-keyed log.
 *
 * - `store.ts`: the key index, reads at any revision, writes evaluated at the head of a batch,
 *   replay, physical compaction.
 * - `watch_hub.ts`: fan-out of committed revisions to watchers, history catch-up.
 * - `lease.ts`: leases in the non-revisioned keyspace.
 * - `entry.ts`: what one WAL entry carries. `revision.ts`: the log's key and record formats.
 *
 * Invariants: revisions are dense and every key of one write shares its revision; a reader
 * never sees a revision before `commitBatch` made it durable and visible; compaction keeps
 * each key's newest record at or below the compact revision.
 *
 * @module
 */

export { LOG, MemoryBackend, META } from "./backend.ts";
export type { Backend, BackendBatch, ScanOptions, TableId } from "./backend.ts";
export { bytesToKey, keyToBytes, prefixEnd, toBytes, toKey } from "./keys.ts";
export type { Bytes } from "./keys.ts";
export { MAX_LEASE_TTL, MIN_LEASE_TTL } from "./lease.ts";
export type { LogRecord } from "./revision.ts";
export { MvccStore } from "./store.ts";
export type {
  CommitListener,
  MetaChange,
  MetaListener,
  MvccOptions,
  StoreRecord,
} from "./store.ts";
export { DEFAULT_MAX_TXN_OPS } from "./txn.ts";
export type * from "./types.ts";
export { Watcher, WatchHub } from "./watch_hub.ts";
export type { WatchHubObserver } from "./watch_hub.ts";
export type { WatchEvent, WatchSink, WatchSpec } from "./watch_hub.ts";
export { decodeEntry, encodeEntry } from "./entry.ts";
export type { EntryOp } from "./entry.ts";
