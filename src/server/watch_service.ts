/**
 * The etcd Watch service: one bidirectional stream carries many watchers.
 *
 * Per stream: watch IDs are chosen by the client or counted up from 0; `created` is sent before
 * any event; events arrive in whole revisions and revision order (the hub guarantees it); a
 * progress request is answered (watch ID -1) once every watcher of the stream is synced, so a
 * progress revision never runs ahead of events still to come; periodic progress notifications
 * go to synced watchers that asked for them and had no events in the interval. Memory stays
 * bounded: when the transport's buffer is full the stream's watchers pause and resume from the
 * log after it drains. With auth on, each create needs READ on its whole range, checked with the
 * stream's credentials; a refusal is etcd's `{watch_id: -1, created, canceled}` with the full
 * status text as the cancel reason.
 *
 * @module
 */

import { bytesToKey, keyToBytes, type Watcher, type WatchEvent } from "../mvcc/mod.ts";
import type { Kv } from "../mvcc/mod.ts";
import type { ServiceContext } from "./context.ts";
import type { Method, StreamCall, StreamReceiver } from "./grpc.ts";
import { decode } from "./decode.ts";
import { GrpcCode, GrpcError, statusString, toStatus } from "./status.ts";
import {
  decodeWatchRequest,
  encodeWatchResponse,
  type Event as PbEvent,
  FilterType,
  type KeyValue as PbKeyValue,
  type WatchCreateRequest,
} from "./pb/mod.ts";

const PROGRESS_POLL_MS = 10;

interface StreamWatcher {
  id: number;
  watcher: Watcher;
  progressNotify: boolean;
  fragment: boolean;
  /** Events were sent since the last progress tick. */
  sentSinceTick: boolean;
}

function kvToPb(kv: Kv): PbKeyValue {
  return {
    key: keyToBytes(kv.key),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease,
  };
}

function eventToPb(e: WatchEvent): PbEvent {
  return {
    type: e.type === "put" ? 0 : 1,
    kv: kvToPb(e.kv),
    prevKv: e.prevKv ? kvToPb(e.prevKv) : undefined,
  };
}

class WatchStream implements StreamReceiver {
  readonly #s: ServiceContext;
  readonly #call: StreamCall;
  readonly #watchers = new Map<number, StreamWatcher>();
  readonly #paused = new Set<StreamWatcher>();
  #nextId = 0;
  #progressPending = false;
  #progressTimer: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #waitingDrain = false;

  constructor(s: ServiceContext, call: StreamCall) {
    this.#s = s;
    this.#call = call;
    s.checkLeader(call.ctx);
  }

  /**
   * Whether the node this stream reads was closed (cluster mode replaced it): the stream ends
   * with Unavailable, as etcd ends watches on a leader change, and the client watches again on
   * the new node. Nothing more, progress included, may be said from the old node's state.
   */
  #nodeGone(): boolean {
    if (!this.#s.node.closed) return false;
    this.#call.finish(new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: leader changed"));
    return true;
  }

  message(bytes: Uint8Array): void {
    if (this.#nodeGone()) return;
    const req = decode(bytes, decodeWatchRequest).requestUnion;
    if (!req) return;
    switch (req.case) {
      case "createRequest":
        this.#create(req.value);
        break;
      case "cancelRequest":
        this.#cancel(req.value.watchId);
        break;
      case "progressRequest":
        this.#progressPending = true;
        this.#answerProgress();
        break;
    }
  }

  end(): void {
    this.#call.finish();
  }

  closed(): void {
    for (const w of this.#watchers.values()) this.#s.node.hub.cancel(w.watcher);
    this.#watchers.clear();
    this.#paused.clear();
    if (this.#tick !== undefined) clearInterval(this.#tick);
    if (this.#progressTimer !== undefined) clearTimeout(this.#progressTimer);
  }

  #send(message: Uint8Array): boolean {
    const ok = this.#call.write(message);
    if (!ok && !this.#waitingDrain && !this.#call.ended) {
      this.#waitingDrain = true;
      this.#call.onDrain(() => {
        this.#waitingDrain = false;
        const paused = [...this.#paused];
        this.#paused.clear();
        for (const w of paused) this.#s.node.hub.resume(w.watcher);
      });
    }
    return ok;
  }

  #create(c: WatchCreateRequest): void {
    const s = this.#s;
    const key = c.key.length === 0 ? "\0" : bytesToKey(c.key);
    const end = c.rangeEnd.length === 0 ? undefined : bytesToKey(c.rangeEnd);
    const current = s.node.store.revision;
    const refuse = (reason: string) =>
      this.#send(encodeWatchResponse({
        header: s.header(current),
        watchId: -1,
        created: true,
        canceled: true,
        cancelReason: reason,
      }));
    try {
      s.authz.range(this.#call.ctx, key, end);
    } catch (err: unknown) {
      const status = toStatus(err);
      if (status.unexpected) throw err;
      refuse(statusString(status));
      return;
    }
    if (end !== undefined && end !== "\0" && key >= end) {
      refuse("mvcc: watcher range is empty");
      return;
    }
    let id = c.watchId;
    if (id !== 0) {
      if (this.#watchers.has(id) || id < 0) {
        refuse("mvcc: duplicate watch ID provided on the WatchStream");
        return;
      }
    } else {
      while (this.#watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    }
    const entry: StreamWatcher = {
      id,
      watcher: undefined as unknown as Watcher,
      progressNotify: c.progressNotify,
      fragment: c.fragment,
      sentSinceTick: false,
    };
    this.#watchers.set(id, entry);
    // `created` goes first: the hub delivers nothing before the next tick or commit.
    this.#send(encodeWatchResponse({ header: s.header(current), watchId: id, created: true }));
    const spec: Parameters<typeof s.node.hub.watch>[0] = { key };
    if (end !== undefined) spec.rangeEnd = end;
    if (c.startRevision > 0) spec.startRevision = c.startRevision;
    if (c.prevKv) spec.prevKv = true;
    if (c.filters.includes(FilterType.NOPUT)) spec.noPut = true;
    if (c.filters.includes(FilterType.NODELETE)) spec.noDelete = true;
    entry.watcher = s.node.hub.watch(spec, {
      send: (events, revision) => this.#deliver(entry, events, revision),
      cancel: (_reason, compactRevision) => {
        this.#watchers.delete(id);
        this.#paused.delete(entry);
        this.#send(encodeWatchResponse({
          header: s.header(s.node.store.revision),
          watchId: id,
          canceled: true,
          compactRevision,
        }));
      },
    });
    if (c.progressNotify) this.#startTicking();
  }

  #deliver(w: StreamWatcher, events: WatchEvent[], revision: number): boolean {
    if (this.#call.ended) return false;
    w.sentSinceTick = true;
    const header = this.#s.header(revision);
    const pbEvents = events.map(eventToPb);
    this.#s.observer.watchEvents?.(events.length);
    let ok: boolean;
    if (w.fragment) ok = this.#sendFragmented(w.id, header, pbEvents);
    else ok = this.#send(encodeWatchResponse({ header, watchId: w.id, events: pbEvents }));
    if (!ok) this.#paused.add(w);
    if (this.#progressPending) this.#scheduleProgress();
    return ok;
  }

  /** etcd's fragmenting: pieces of at most max-request-bytes, `fragment` on all but the last. */
  #sendFragmented(
    id: number,
    header: ReturnType<ServiceContext["header"]>,
    events: PbEvent[],
  ): boolean {
    const limit = this.#s.config.maxRequestBytes;
    const whole = encodeWatchResponse({ header, watchId: id, events });
    if (whole.length <= limit) return this.#send(whole);
    let ok = true;
    let start = 0;
    while (start < events.length) {
      let end = start + 1;
      let size = encodeWatchResponse({ header, watchId: id, events: events.slice(start, end) })
        .length;
      while (end < events.length) {
        const next = encodeWatchResponse({
          header,
          watchId: id,
          events: events.slice(start, end + 1),
        }).length;
        if (next > limit) break;
        size = next;
        end++;
      }
      void size;
      const last = end >= events.length;
      ok = this.#send(encodeWatchResponse({
        header,
        watchId: id,
        events: events.slice(start, end),
        fragment: !last,
      })) && ok;
      start = end;
    }
    return ok;
  }

  #cancel(id: number): void {
    const w = this.#watchers.get(id);
    if (!w) return;
    this.#watchers.delete(id);
    this.#paused.delete(w);
    this.#s.node.hub.cancel(w.watcher);
    this.#send(encodeWatchResponse({
      header: this.#s.currentHeader(),
      watchId: id,
      canceled: true,
    }));
  }

  #allSynced(): boolean {
    for (const w of this.#watchers.values()) {
      if (!this.#s.node.hub.isSynced(w.watcher)) return false;
    }
    return true;
  }

  #answerProgress(): void {
    if (!this.#progressPending || this.#call.ended || this.#nodeGone()) return;
    if (!this.#allSynced()) {
      this.#scheduleProgress();
      return;
    }
    this.#progressPending = false;
    this.#send(encodeWatchResponse({ header: this.#s.currentHeader(), watchId: -1 }));
  }

  #scheduleProgress(): void {
    if (this.#progressTimer !== undefined) return;
    this.#progressTimer = setTimeout(() => {
      this.#progressTimer = undefined;
      this.#answerProgress();
    }, PROGRESS_POLL_MS);
  }

  #startTicking(): void {
    if (this.#tick !== undefined) return;
    this.#tick = setInterval(() => {
      if (this.#call.ended || this.#nodeGone()) return;
      for (const w of this.#watchers.values()) {
        if (!w.progressNotify) continue;
        if (!w.sentSinceTick && this.#s.node.hub.isSynced(w.watcher)) {
          this.#send(encodeWatchResponse({ header: this.#s.currentHeader(), watchId: w.id }));
        }
        w.sentSinceTick = false;
      }
    }, this.#s.config.watchProgressNotifyIntervalMs);
  }
}

/** The Watch service's methods. */
export function watchService(s: ServiceContext): Record<string, Method> {
  return {
    Watch: { kind: "bidi", handler: (call) => new WatchStream(s, call) },
  };
}
