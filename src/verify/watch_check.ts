/**
 * Watch guarantees, checked stream by stream against a {@linkcode RevisionLog} (the names are
 * those of etcd's robustness suite):
 * - **Ordered**: event revisions never go down, and events of one revision come in
 *   sub-revision order.
 * - **Unique**: no (revision, key) event twice.
 * - **Atomic**: all events of one revision arrive in one response (fragments are joined first).
 * - **Reliable**: from the start revision up to the last revision the stream vouched for (its
 *   last event or progress notification), every event of the log in range is delivered. With
 *   `start_revision` 0 the start is the created response's header revision + 1; a stream with
 *   neither is checked from its first event.
 * - **Correct**: each event equals the log's (type, every kv field; a delete's kv carries only
 *   key and mod revision), is in the watched range, passes the filters and is not before the
 *   start revision; `prev_kv`, when asked for, is the key's previous value.
 * - **Bookmarkable**: a progress notification at revision p comes only after every event of
 *   the log in range up to p was delivered; a response's header is not below its events.
 * - **Resumable**: a watch restarted after another (`resumes`) leaves no event of the range
 *   undelivered between the two.
 *
 * @module
 */

import { diffKv, show } from "./_diff.ts";
import type { ReceivedWatchResponse, WatchRecording } from "./history.ts";
import { keyBounds } from "./model.ts";
import type { RevisionLog } from "./revision_log.ts";
import type { WatchEvent } from "./types.ts";

/** Which guarantee a violation breaks. */
export type WatchViolationKind =
  | "ordered"
  | "unique"
  | "atomic"
  | "reliable"
  | "event"
  | "prev-kv"
  | "bookmark"
  | "resumable";

/** One broken guarantee on one watch. */
export interface WatchViolation {
  watch: number;
  kind: WatchViolationKind;
  revision: number;
  key?: string;
  message: string;
}

/** Options of {@linkcode checkWatches}. */
export interface WatchCheckOptions {
  /** Stop reporting a watch after this many violations; 20 by default. */
  maxPerWatch?: number;
}

interface Expected {
  revision: number;
  events: WatchEvent[];
}

/** What one watch delivered, for the cross-watch Resumable check. */
interface Coverage {
  expected: Expected[];
  start: number;
  bound: number;
}

/** Joins fragments into whole responses. */
function wholeResponses(responses: ReceivedWatchResponse[]): ReceivedWatchResponse[] {
  const out: ReceivedWatchResponse[] = [];
  let pending: WatchEvent[] = [];
  for (const r of responses) {
    if (r.fragment) {
      pending = pending.concat(r.events);
      continue;
    }
    out.push({ ...r, events: pending.concat(r.events) });
    pending = [];
  }
  return out;
}

function isProgress(r: ReceivedWatchResponse): boolean {
  return r.events.length === 0 && !r.created && !r.canceled;
}

function checkWatch(
  w: WatchRecording,
  log: RevisionLog,
  report: (v: Omit<WatchViolation, "watch">) => void,
): Coverage {
  const req = w.request;
  const [lo, hi] = keyBounds(req.key || "\0", req.rangeEnd);
  const wanted = (ev: WatchEvent) =>
    ev.kv.key >= lo && (hi === undefined || ev.kv.key < hi) &&
    !(req.noPut && ev.type === "put") && !(req.noDelete && ev.type === "delete");
  const responses = wholeResponses(w.responses);
  const created = responses.find((r) => r.created);
  const firstEvent = responses.find((r) => r.events.length > 0)?.events[0];
  const start = req.startRevision && req.startRevision > 0
    ? req.startRevision
    : created
    ? created.revision + 1
    : firstEvent?.kv.modRevision ?? log.revision + 1;
  const expected: Expected[] = [];
  for (const [revision, all] of log.events) {
    const events = revision >= start ? all.filter(wanted) : [];
    if (events.length > 0) expected.push({ revision, events });
  }
  const byRev = new Map(expected.map((e) => [e.revision, e]));
  const seen = new Set<string>();
  const responseOf = new Map<number, number>();
  let last = 0, lastSub = -1, bookmark = 0, next = 0;

  responses.forEach((res, i) => {
    for (const ev of res.events) {
      const { key, modRevision: rev } = ev.kv;
      const at = { revision: rev, key };
      const id = `${rev}\0${key}`;
      const exp = byRev.get(rev)?.events;
      const sub = exp ? exp.findIndex((e) => e.kv.key === key) : -1;
      if (rev > res.revision) {
        report({
          kind: "bookmark",
          ...at,
          message: `response header revision ${res.revision} is below its event at ${rev}`,
        });
      }
      if (seen.has(id)) {
        report({
          kind: "unique",
          ...at,
          message: `${ev.type} ${show(key)} at revision ${rev} delivered twice`,
        });
        continue;
      }
      if (rev < last || (rev === last && sub >= 0 && sub < lastSub)) {
        report({
          kind: "ordered",
          ...at,
          message: `event at revision ${rev} arrived after one at ${last}`,
        });
      } else if (rev === last && responseOf.get(rev) !== i) {
        report({
          kind: "atomic",
          ...at,
          message: `events of revision ${rev} split across responses`,
        });
      }
      seen.add(id);
      if (!responseOf.has(rev)) responseOf.set(rev, i);
      if (rev >= last) [last, lastSub] = [rev, sub];
      const logged = log.events.get(rev)?.find((e) => e.kv.key === key);
      if (rev < start) {
        report({
          kind: "event",
          ...at,
          message: `event at revision ${rev} is before the start revision ${start}`,
        });
      } else if (!wanted(ev)) {
        report({
          kind: "event",
          ...at,
          message: `${ev.type} ${show(key)} is outside the watched range or filters`,
        });
      } else if (!logged || logged.type !== ev.type) {
        report({
          kind: "event",
          ...at,
          message: `${ev.type} ${show(key)} at revision ${rev}: the history has ${
            logged ? logged.type : "no such write"
          }`,
        });
      } else {
        const d = diffKv("kv", logged.kv, ev.kv);
        if (d) {
          report({
            kind: "event",
            ...at,
            message: `${ev.type} ${show(key)} at revision ${rev}: ${d}`,
          });
        }
        const p = req.prevKv ? diffKv("prevKv", logged.prevKv, ev.prevKv) : undefined;
        if (p) {
          report({
            kind: "prev-kv",
            ...at,
            message: `${ev.type} ${show(key)} at revision ${rev}: ${p}`,
          });
        }
      }
    }
    if (!isProgress(res)) return;
    bookmark = Math.max(bookmark, res.revision);
    for (; next < expected.length && expected[next]!.revision <= res.revision; next++) {
      const missing = expected[next]!.events.find((e) =>
        !seen.has(`${e.kv.modRevision}\0${e.kv.key}`)
      );
      if (missing) {
        report({
          kind: "bookmark",
          revision: res.revision,
          key: missing.kv.key,
          message:
            `progress notification at revision ${res.revision} before the ${missing.type} of ${
              show(missing.kv.key)
            } at ${missing.kv.modRevision} was delivered`,
        });
      }
    }
  });

  const bound = Math.min(Math.max(last, bookmark), log.revision);
  for (const e of expected) {
    if (e.revision > bound) break;
    for (const ev of e.events) {
      if (seen.has(`${e.revision}\0${ev.kv.key}`)) continue;
      report({
        kind: "reliable",
        revision: e.revision,
        key: ev.kv.key,
        message: `${ev.type} ${
          show(ev.kv.key)
        } at revision ${e.revision} was never delivered (stream reached ${bound})`,
      });
    }
  }
  return { expected, start, bound };
}

/** Checks every watch of a run against the run's revision log; returns the violations found. */
export function checkWatches(
  watches: WatchRecording[],
  log: RevisionLog,
  options: WatchCheckOptions = {},
): WatchViolation[] {
  const out: WatchViolation[] = [];
  const coverage: Coverage[] = [];
  for (const w of watches) {
    let n = 0;
    coverage[w.id] = checkWatch(w, log, (v) => {
      if (n++ < (options.maxPerWatch ?? 20)) out.push({ watch: w.id, ...v });
    });
  }
  for (const w of watches) {
    const before = w.resumes === undefined ? undefined : coverage[w.resumes];
    const after = coverage[w.id];
    if (!before || !after) continue;
    const gap = before.expected.find((e) => e.revision > before.bound && e.revision < after.start);
    const first = gap?.events[0];
    if (gap && first) {
      out.push({
        watch: w.id,
        kind: "resumable",
        revision: gap.revision,
        key: first.kv.key,
        message:
          `restarted at revision ${after.start} after watch #${w.resumes} reached ${before.bound}: the ${first.type} of ${
            show(first.kv.key)
          } at ${gap.revision} fell between them`,
      });
    }
  }
  return out;
}
