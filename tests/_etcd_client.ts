/**
 * A small typed etcd client for tests: the project's raw gRPC client plus its own codec, so
 * tests can send exactly the messages they mean (and malformed ones).
 *
 * @module
 */

import { GrpcClient } from "../src/server/grpc.ts";
import * as pb from "../src/server/pb/mod.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/** Bytes of a string. */
export const b = (s: string): Uint8Array => te.encode(s);
/** A string of bytes. */
export const s = (u: Uint8Array): string => td.decode(u);

/** A watch stream with its responses collected. */
export interface TestWatchStream {
  responses: pb.WatchResponse[];
  create(req: Partial<pb.WatchCreateRequest>): void;
  cancel(watchId: number): void;
  progress(): void;
  /** Resolves once `pred` holds for the collected responses (or rejects after `ms`). */
  until(pred: (responses: pb.WatchResponse[]) => boolean, ms?: number): Promise<void>;
  close(): void;
  done: Promise<{ code: number; details: string }>;
}

/** A typed client for one endpoint. */
export class EtcdTestClient implements Disposable {
  readonly raw: GrpcClient;
  readonly #timeoutMs: number | undefined;

  /** A client for `endpoint`; `timeoutMs` bounds every unary call. */
  constructor(endpoint: string, options: { timeoutMs?: number } = {}) {
    this.raw = new GrpcClient(endpoint);
    this.#timeoutMs = options.timeoutMs;
  }

  #unary(path: string, bytes: Uint8Array): Promise<Uint8Array> {
    return this.raw.unary(
      path,
      bytes,
      this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs },
    );
  }

  async range(req: Partial<pb.RangeRequest>): Promise<pb.RangeResponse> {
    return pb.decodeRangeResponse(
      await this.#unary("/etcdserverpb.KV/Range", pb.encodeRangeRequest(req)),
    );
  }

  async put(
    key: string,
    value: string,
    extra: Partial<pb.PutRequest> = {},
  ): Promise<pb.PutResponse> {
    return pb.decodePutResponse(
      await this.#unary(
        "/etcdserverpb.KV/Put",
        pb.encodePutRequest({ key: b(key), value: b(value), ...extra }),
      ),
    );
  }

  async del(req: Partial<pb.DeleteRangeRequest>): Promise<pb.DeleteRangeResponse> {
    return pb.decodeDeleteRangeResponse(
      await this.#unary("/etcdserverpb.KV/DeleteRange", pb.encodeDeleteRangeRequest(req)),
    );
  }

  async txn(req: pb.PartialMessage<pb.TxnRequest>): Promise<pb.TxnResponse> {
    return pb.decodeTxnResponse(
      await this.#unary("/etcdserverpb.KV/Txn", pb.encodeTxnRequest(req)),
    );
  }

  async compact(revision: number): Promise<void> {
    await this.#unary("/etcdserverpb.KV/Compact", pb.encodeCompactionRequest({ revision }));
  }

  async status(): Promise<pb.StatusResponse> {
    return pb.decodeStatusResponse(
      await this.#unary("/etcdserverpb.Maintenance/Status", pb.encodeStatusRequest({})),
    );
  }

  watch(metadata: Record<string, string> = {}): TestWatchStream {
    const stream = this.raw.stream("/etcdserverpb.Watch/Watch", { metadata });
    const responses: pb.WatchResponse[] = [];
    const waiters: (() => void)[] = [];
    stream.onMessage((m) => {
      responses.push(pb.decodeWatchResponse(m));
      for (const w of waiters.splice(0)) w();
    });
    const send = (u: pb.PartialMessage<pb.WatchRequest>) => stream.write(pb.encodeWatchRequest(u));
    return {
      responses,
      create: (req) => send({ requestUnion: { case: "createRequest", value: req } }),
      cancel: (watchId) => send({ requestUnion: { case: "cancelRequest", value: { watchId } } }),
      progress: () => send({ requestUnion: { case: "progressRequest", value: {} } }),
      until(pred, ms = 5000) {
        return new Promise((resolve, reject) => {
          const deadline = setTimeout(
            () =>
              reject(
                new Error(`watch condition not met in ${ms} ms; got ${responses.length} responses`),
              ),
            ms,
          );
          const check = () => {
            if (pred(responses)) {
              clearTimeout(deadline);
              resolve();
            } else waiters.push(check);
          };
          check();
        });
      },
      close: () => stream.cancel(),
      done: stream.done,
    };
  }

  close(): void {
    this.raw.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
