/**
 * One side of `t4 migrate`: an etcd-API endpoint (etcd itself or T4) reached over the project's
 * raw gRPC client and its own codec, with TLS, an auth token, a deadline on every call, and
 * errors that say in one line which side failed, in which call, with the etcd code and message.
 *
 * @module
 */

import { GrpcClient, type GrpcClientOptions } from "../server/grpc.ts";
import * as pb from "../server/pb/mod.ts";
import { GrpcCode, GrpcError, statusString } from "../server/status.ts";

/** How to reach and log in to one side. */
export interface EndpointOptions {
  /** `host:port`, `http://host:port` or `https://host:port` (https means TLS). */
  endpoint: string;
  /** PEM file of the CA to trust; any TLS file turns TLS on. */
  cacert?: string;
  /** PEM client certificate (mTLS). */
  cert?: string;
  /** PEM key of `cert`. */
  key?: string;
  /** User for Authenticate; `name:password` is accepted when `password` is not given. */
  user?: string;
  password?: string;
}

/** Milliseconds before any one call is given up (a page of 500 large values fits easily). */
const CALL_TIMEOUT_MS = 60_000;

/** A call to one side failed; the message is the one line an operator sees. */
export class EtcdCallError extends Error {
  /** Creates the error for `side` ("source"/"target") calling `method` (e.g. `KV.Range`). */
  constructor(
    readonly side: string,
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    // grpc-js appends an empty "Resolution note:" to connection errors
    const text = details.replace(/\s*Resolution note:\s*$/, "");
    // Deno's TLS refuses an IP address as the server name that grpc-js derives from the target.
    const hint = /servername' must not be an IP address/.test(text)
      ? " (TLS to an IP address is not supported yet: use a DNS name of the server's certificate)"
      : "";
    super(
      `${side}: ${method} failed: ${
        statusString({ code: code as GrpcCode, details: text })
      }${hint}`,
    );
    this.name = "EtcdCallError";
  }
}

/** A refusal or a failure the user can act on; its message is the line to show. */
export class MigrateError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MigrateError";
  }
}

/** `host:port` and whether TLS is wanted, from an endpoint as users write it. */
export function parseEndpoint(endpoint: string): { address: string; tls: boolean } {
  const text = endpoint.trim();
  if (text.includes(",")) {
    throw new Error(`Invalid endpoint "${endpoint}": give one endpoint, not a list`);
  }
  const match = /^(?:(https?):\/\/)?([^/]+?)\/?$/.exec(text);
  if (!match || !/:\d+$/.test(match[2]!)) {
    throw new Error(`Invalid endpoint "${endpoint}": expected host:port or http(s)://host:port`);
  }
  return { address: match[2]!, tls: match[1] === "https" };
}

async function readPem(path: string | undefined, what: string): Promise<Uint8Array | undefined> {
  if (path === undefined || path === "") return undefined;
  try {
    return await Deno.readFile(path);
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot read the ${what} file "${path}": ${why}`, { cause: err });
  }
}

/** A connected side; see the module doc. */
export class EtcdClient implements Disposable {
  readonly #grpc: GrpcClient;
  readonly #side: string;
  readonly #credentials: { name: string; password: string } | undefined;
  #token: string | undefined;

  private constructor(
    grpc: GrpcClient,
    side: string,
    credentials: { name: string; password: string } | undefined,
  ) {
    this.#grpc = grpc;
    this.#side = side;
    this.#credentials = credentials;
  }

  /** Connects to `options.endpoint` (named `side` in errors) and logs in if a user is given. */
  static async connect(side: string, options: EndpointOptions): Promise<EtcdClient> {
    const { address, tls } = parseEndpoint(options.endpoint);
    const ca = await readPem(options.cacert, `${side} CA`);
    const cert = await readPem(options.cert, `${side} certificate`);
    const key = await readPem(options.key, `${side} key`);
    const grpcOptions: GrpcClientOptions = {};
    if (tls || ca || cert || key) {
      grpcOptions.tls = { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
    }
    let credentials: { name: string; password: string } | undefined;
    if (options.user) {
      const split = options.password === undefined ? options.user.indexOf(":") : -1;
      credentials = split >= 0
        ? { name: options.user.slice(0, split), password: options.user.slice(split + 1) }
        : { name: options.user, password: options.password ?? "" };
    }
    const client = new EtcdClient(
      new GrpcClient(address, grpcOptions),
      `${side} ${address}`,
      credentials,
    );
    if (credentials) {
      try {
        await client.#authenticate();
      } catch (err: unknown) {
        client.close();
        throw err;
      }
    }
    return client;
  }

  async #authenticate(): Promise<void> {
    const res = pb.decodeAuthenticateResponse(
      await this.#call(
        "Auth.Authenticate",
        pb.encodeAuthenticateRequest(this.#credentials!),
        false,
      ),
    );
    this.#token = res.token;
  }

  async #call(method: string, request: Uint8Array, retryAuth = true): Promise<Uint8Array> {
    const path = `/etcdserverpb.${method.replace(".", "/")}`;
    for (let attempt = 0;; attempt++) {
      const metadata: Record<string, string> = this.#token ? { token: this.#token } : {};
      try {
        return await this.#grpc.unary(path, request, { metadata, timeoutMs: CALL_TIMEOUT_MS });
      } catch (err: unknown) {
        if (!(err instanceof GrpcError)) throw err;
        // Simple tokens expire when idle; log in again once and repeat the call.
        const expired = err.code === GrpcCode.UNAUTHENTICATED &&
          /invalid auth token/.test(err.details);
        if (expired && retryAuth && this.#credentials && attempt === 0) {
          await this.#authenticate();
          continue;
        }
        throw new EtcdCallError(this.#side, method, err.code, err.details);
      }
    }
  }

  /** KV.Range. */
  async range(req: pb.PartialMessage<pb.RangeRequest>): Promise<pb.RangeResponse> {
    return pb.decodeRangeResponse(await this.#call("KV.Range", pb.encodeRangeRequest(req)));
  }

  /** KV.Txn. */
  async txn(req: pb.PartialMessage<pb.TxnRequest>): Promise<pb.TxnResponse> {
    return pb.decodeTxnResponse(await this.#call("KV.Txn", pb.encodeTxnRequest(req)));
  }

  /** Maintenance.Status (version and the member's identity). */
  async status(): Promise<pb.StatusResponse> {
    const bytes = await this.#call("Maintenance.Status", pb.encodeStatusRequest({}));
    return pb.decodeStatusResponse(bytes);
  }

  /** Lease.LeaseLeases: the IDs of every live lease. */
  async leases(): Promise<bigint[]> {
    const bytes = await this.#call("Lease.LeaseLeases", pb.encodeLeaseLeasesRequest({}));
    return pb.decodeLeaseLeasesResponse(bytes).leases.map((l) => l.ID);
  }

  /** Lease.LeaseTimeToLive with the attached keys; `TTL` is -1 for a lease that is gone. */
  async timeToLive(id: bigint): Promise<pb.LeaseTimeToLiveResponse> {
    const req = pb.encodeLeaseTimeToLiveRequest({ ID: id, keys: true });
    return pb.decodeLeaseTimeToLiveResponse(await this.#call("Lease.LeaseTimeToLive", req));
  }

  /** Lease.LeaseGrant with a chosen ID. */
  async grant(id: bigint, ttl: number): Promise<pb.LeaseGrantResponse> {
    const req = pb.encodeLeaseGrantRequest({ ID: id, TTL: ttl });
    return pb.decodeLeaseGrantResponse(await this.#call("Lease.LeaseGrant", req));
  }

  /**
   * Keeps the leases `ids()` alive with one LeaseKeepAlive stream, renewing them every
   * `everyMs`, until disposed (best effort: a failed stream is not reported).
   */
  keepAlive(ids: () => Iterable<bigint>, everyMs: number): Disposable {
    const metadata: Record<string, string> = this.#token ? { token: this.#token } : {};
    const stream = this.#grpc.stream("/etcdserverpb.Lease/LeaseKeepAlive", { metadata });
    stream.onMessage(() => {/* the renewed TTLs are not needed */});
    const timer = setInterval(() => {
      for (const ID of ids()) stream.write(pb.encodeLeaseKeepAliveRequest({ ID }));
    }, everyMs);
    return {
      [Symbol.dispose]() {
        clearInterval(timer);
        stream.cancel();
      },
    };
  }

  /** Closes the connection. */
  close(): void {
    this.#grpc.close();
  }

  /** Same as {@linkcode EtcdClient.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
