/**
 * The node: the composition root that opens the engine, the MVCC store and the WAL, recovers,
 * and runs the commit pipeline (group commit), leases and maintenance; plus the embedded API.
 *
 * Invariants: a write is acknowledged only after its WAL record is fsynced and it is applied to
 * the engine; no reader sees a write before that; sequences and revisions have no holes; a WAL
 * or engine failure fences the node (no more writes or linearizable reads).
 *
 * @module
 */

export {
  type BatchJob,
  type CommitObserver,
  CommitPipeline,
  type DurabilityHook,
} from "./commit.ts";
export { defaultNodeId, type NodeConfig, type ResolvedNodeConfig, stableId } from "./config.ts";
export { type DataDirLayout, dataDirLayout } from "./data_dir.ts";
export {
  type DeleteOptions,
  type DeleteResult,
  type GetOptions,
  type KeySpan,
  type KeyValue,
  type LeaseStatus,
  type PutOptions,
  type PutResult,
  type RangeOptions,
  type RangeResult,
  Store,
  type TxnCompare,
  type TxnOp,
  type TxnOpResult,
  type TxnResult,
  type TxnSpec,
} from "./embedded.ts";
export { Watch, type WatchBatch, type WatchEvent, type WatchOptions } from "./embedded_watch.ts";
export { type NodeObserver, type NodeStatus, type RecoveryReport, T4Node } from "./node.ts";
export { type BranchSource, restoreEngineFile, type RestoreOptions } from "./restore.ts";
export { type DurabilityObserver, ObjectStoreDurability } from "./durability.ts";
export { type InspectChange, type InspectMeta, Inspector } from "./inspect.ts";
