/**
 * grpc.health.v1: the standard gRPC health checking protocol (Check, and Watch as a stream).
 *
 * @module
 */

import { int32Size, lenSize, type PartialMessage, utf8Size } from "./_wire.ts";
import { decodeMessage, type Reader } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
} as const;

/** grpc.health.v1.HealthCheckRequest. */
export interface HealthCheckRequest {
  /** 1: the service name; "" = the server as a whole. */
  service: string;
}

/** grpc.health.v1.HealthCheckResponse. */
export interface HealthCheckResponse {
  /** 1: {@linkcode ServingStatus}. */
  status: number;
}

function sizeHealthCheckRequest(_w: Writer, m: PartialMessage<HealthCheckRequest>): number {
  return m.service ? 1 + lenSize(utf8Size(m.service)) : 0;
}

function writeHealthCheckRequest(w: Writer, m: PartialMessage<HealthCheckRequest>): void {
  if (m.service) w.stringField(10, m.service);
}

function readHealthCheckRequest(r: Reader): HealthCheckRequest {
  let service = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) service = r.string();
    else r.skip(tag);
  }
  return { service };
}

function sizeHealthCheckResponse(_w: Writer, m: PartialMessage<HealthCheckResponse>): number {
  return m.status ? 1 + int32Size(m.status) : 0;
}

function writeHealthCheckResponse(w: Writer, m: PartialMessage<HealthCheckResponse>): void {
  if (m.status) w.int32Field(8, m.status);
}

function readHealthCheckResponse(r: Reader): HealthCheckResponse {
  let status = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) status = r.int32();
    else r.skip(tag);
  }
  return { status };
}

/** Encodes a grpc.health.v1.HealthCheckRequest. */
export function encodeHealthCheckRequest(m: PartialMessage<HealthCheckRequest>): Uint8Array {
  return encodeMessage(m, sizeHealthCheckRequest, writeHealthCheckRequest);
}

/** Decodes a grpc.health.v1.HealthCheckRequest. */
export function decodeHealthCheckRequest(bytes: Uint8Array): HealthCheckRequest {
  return decodeMessage(bytes, readHealthCheckRequest);
}

/** Encodes a grpc.health.v1.HealthCheckResponse. */
export function encodeHealthCheckResponse(m: PartialMessage<HealthCheckResponse>): Uint8Array {
  return encodeMessage(m, sizeHealthCheckResponse, writeHealthCheckResponse);
}

/** Decodes a grpc.health.v1.HealthCheckResponse. */
export function decodeHealthCheckResponse(bytes: Uint8Array): HealthCheckResponse {
  return decodeMessage(bytes, readHealthCheckResponse);
}
