/**
 * The watchers of a chaos run: each watches every key from revision 1 (so the checker can place
 * unknown-outcome writes where a watch saw them) and records every response. When its stream
 * ends or stalls (no answer to progress requests for {@linkcode STALL_MS}: a paused or cut-off
 * node), it resumes from the revision after the last event it got, usually on the leader
 * (whose stream is the first to see a write), else on a randomly chosen node,
 * recorded as a watch that `resumes` the previous one, under a new client id. A stream whose
 * node lags (nothing delivered up to a revision clients saw committed {@linkcode STALL_MS}
 * ago, e.g. a follower resyncing from S3) is given up the same way, so the history keeps a
 * watch that sees each write soon after it happened.
 *
 * @module
 */

import { EtcdTestClient } from "../../tests/_etcd_client.ts";
import * as pb from "../server/pb/mod.ts";
import type { HistoryRecorder, WatchHandle, WatchRequest } from "../verify/mod.ts";
import { watchCreateOf, watchResponseOf } from "./convert.ts";
import type { Rng } from "./random.ts";

/** A stream that answers nothing for this long is given up. */
export const STALL_MS = 5000;
const PROGRESS_EVERY_MS = 1000;
const MAX_STREAMS = 2000;

/** What the watchers share. */
export interface WatchContext {
  rec: HistoryRecorder;
  endpoints: () => string[];
  nextClientId: () => number;
  /** The highest revision any client has seen so far. */
  committed: () => number;
  /** Notes which client id went where (kept beside the history). */
  note: (line: string) => void;
  /** The leader's endpoint when known: resuming there sees new writes soonest. */
  leader: () => string | undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One watcher; {@linkcode run} until {@linkcode stop}. */
export class ChaosWatcher {
  readonly #ctx: WatchContext;
  readonly #rng: Rng;
  readonly #prevKv: boolean;
  #previous: WatchHandle | undefined;
  #lastEvent = 0;
  /** Everything up to this revision was delivered on the current stream. */
  #delivered = 0;
  #stopping = false;
  #wake: () => void = () => {};
  /** Streams opened. */
  streams = 0;
  /** Events received. */
  events = 0;

  constructor(ctx: WatchContext, rng: Rng, options: { prevKv: boolean }) {
    this.#ctx = ctx;
    this.#rng = rng;
    this.#prevKv = options.prevKv;
  }

  /** Opens streams until stopped, one after another. */
  async run(): Promise<void> {
    let backoff = 100;
    while (!this.#stopping && this.streams < MAX_STREAMS) {
      const leader = this.streams > 0 && this.#rng.chance(0.7) ? this.#ctx.leader() : undefined;
      const created = await this.#stream(leader ?? this.#rng.pick(this.#ctx.endpoints()));
      // a stream that never got going (node down): back off, up to 2 s
      backoff = created ? 100 : Math.min(backoff * 2, 2000);
      if (!this.#stopping) await sleep(this.#rng.int(backoff, 2 * backoff));
    }
  }

  /** Stops the current stream and the loop. */
  stop(): void {
    this.#stopping = true;
    this.#wake();
  }

  /** Waits up to `ms` until everything up to `revision` has been delivered. */
  async catchUp(revision: number, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.#delivered < revision) {
      if (performance.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  /** One stream until it ends; returns whether the watch was created. */
  async #stream(endpoint: string): Promise<boolean> {
    this.streams++;
    this.#delivered = 0;
    const id = this.#ctx.nextClientId();
    this.#ctx.note(`${(performance.now() / 1000).toFixed(3)} watch client ${id} -> ${endpoint}`);
    using client = new EtcdTestClient(endpoint);
    const stream = client.raw.stream("/etcdserverpb.Watch/Watch");
    const request: WatchRequest = {
      key: "\0",
      rangeEnd: "\0",
      startRevision: this.#lastEvent + 1,
      prevKv: this.#prevKv,
    };
    const handle = this.#ctx.rec.startWatch(
      id,
      request,
      this.#previous ? { resumes: this.#previous } : {},
    );
    this.#previous = handle;
    let live = true;
    let created = false;
    let lastMessage = performance.now();
    // the revision this stream must deliver, and since when clients have seen it committed
    let target = { rev: this.#ctx.committed(), at: performance.now() };
    const ended = new Promise<void>((resolve) => {
      this.#wake = resolve;
      void stream.done.then(() => resolve());
    });
    stream.onMessage((bytes) => {
      if (!live) return;
      lastMessage = performance.now();
      let res;
      try {
        res = watchResponseOf(pb.decodeWatchResponse(bytes));
      } catch {
        live = false; // an undecodable answer: give the stream up (the history shows why not)
        this.#wake();
        return;
      }
      this.#ctx.rec.received(handle, res);
      if (res.created) created = true;
      for (const e of res.events) {
        this.events++;
        this.#lastEvent = Math.max(this.#lastEvent, e.kv.modRevision);
        this.#delivered = Math.max(this.#delivered, e.kv.modRevision);
      }
      const progress = res.events.length === 0 && !res.created && !res.canceled;
      if (progress) this.#delivered = Math.max(this.#delivered, res.revision);
      if (res.canceled) {
        live = false;
        this.#wake();
      }
    });
    const send = (u: pb.PartialMessage<pb.WatchRequest>) => stream.write(pb.encodeWatchRequest(u));
    send({ requestUnion: { case: "createRequest", value: watchCreateOf(request) } });
    const ticker = setInterval(() => {
      const now = performance.now();
      if (this.#delivered >= target.rev) target = { rev: this.#ctx.committed(), at: now };
      if (now - lastMessage > STALL_MS || now - target.at > STALL_MS) {
        live = false;
        this.#wake();
      } else if (created) {
        send({ requestUnion: { case: "progressRequest", value: {} } });
      }
    }, PROGRESS_EVERY_MS);
    try {
      await ended;
    } finally {
      live = false;
      clearInterval(ticker);
      stream.cancel();
      await Promise.race([stream.done, sleep(1000)]);
    }
    return created;
  }
}
