/**
 * Our own HTTP/2 + gRPC server for cleartext listeners: {@linkcode H2GrpcServer}, with the
 * contract of `GrpcServer` (`../grpc.ts`) but written directly on `Deno.listen` connections, so
 * calls skip the `node:http2` compatibility layer that grpc-js runs on.
 *
 * Layers, bottom up: `frame.ts` (constants, errors), `out_buffer.ts` (frame writers into one
 * growable buffer), `huffman.ts` + `hpack.ts` (header decoding), `writer.ts` (coalesced socket
 * writes, send window, backpressure), `stream.ts` (per-stream send queue and state),
 * `frame_handler.ts` + `connection.ts` (RFC 9113 rules, read loop), `request.ts` +
 * `grpc_framing.ts` + `call.ts` (gRPC), `server.ts`. Limits live in `limits.ts`.
 *
 * Invariants: DATA never exceeds the peer's windows; every buffer a peer can make us fill is
 * bounded; a protocol error on one connection never affects another; a call's handler sees
 * exactly what it would see on `GrpcServer`.
 *
 * @module
 */

export { H2GrpcServer } from "./server.ts";
