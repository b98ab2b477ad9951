/**
 * Every fuzz target, in the order runs go through them.
 *
 * @module
 */

import type { FuzzTarget } from "./harness.ts";
import { grpcFramingTarget, h2ConnectionTarget, hpackTarget } from "./h2_targets.ts";
import { grpcRequestsTarget, pbMessagesTarget, peerMessagesTarget } from "./pb_targets.ts";
import {
  authRowsTarget,
  checkpointDocumentsTarget,
  engineRecordsTarget,
  lockRecordTarget,
} from "./storage_targets.ts";
import {
  walEntryTarget,
  walHeaderTarget,
  walReplayTarget,
  walSegmentTarget,
} from "./wal_targets.ts";

/** The targets, by name. */
export const TARGETS: readonly FuzzTarget<unknown>[] = [
  walHeaderTarget,
  walSegmentTarget,
  walReplayTarget,
  walEntryTarget,
  checkpointDocumentsTarget,
  lockRecordTarget,
  authRowsTarget,
  engineRecordsTarget,
  grpcRequestsTarget,
  pbMessagesTarget,
  peerMessagesTarget,
  hpackTarget,
  grpcFramingTarget,
  h2ConnectionTarget,
];

/** The target called `name`. */
export function findTarget(name: string): FuzzTarget<unknown> | undefined {
  return TARGETS.find((t) => t.name === name);
}
