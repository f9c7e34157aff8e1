/** The protocol's typed errors, defined once. Every failure the host reports is one of these. */
import { ERRORS, type ErrorName, errorByCode, messageByOp } from "./spec.js";

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Something did not answer in time: a SYNC, a frame's retransmission budget, or a reply. */
export class TimeoutError extends ProtocolError {
  override name = "TimeoutError";
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    detail = "",
  ) {
    super(`timed out after ${Math.round(timeoutMs)} ms: ${operation}${detail ? ` (${detail})` : ""}`);
  }
}

/** Received bytes failed an integrity check (frame CRC, whole-blob or output CRC). */
export class ChecksumError extends ProtocolError {
  override name = "ChecksumError";
  constructor(
    readonly what: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${what}: CRC-32 mismatch (expected ${hex32(expected)}, got ${hex32(actual)})`);
  }
}

/** A frame that is structurally invalid (bad COBS, length, oversize) or a body that does not match the spec. */
export class FramingError extends ProtocolError {
  override name = "FramingError";
}

export class ProtocolVersionError extends ProtocolError {
  override name = "ProtocolVersionError";
  constructor(
    readonly hostVersion: number,
    readonly deviceVersion: number,
  ) {
    super(
      `protocol version mismatch: host speaks v${hostVersion}, device speaks v${deviceVersion}; ` +
        (deviceVersion < hostVersion ? "update the device firmware" : "update the host (quart)"),
    );
  }
}

/** The device answered ERROR. */
export class DeviceError extends ProtocolError {
  override name = "DeviceError";
  readonly codeName: ErrorName | "UNKNOWN";
  constructor(
    readonly code: number,
    readonly op: number,
    readonly detail?: number,
  ) {
    const codeName = errorByCode(code) ?? "UNKNOWN";
    const opName = messageByOp(op) ?? `op 0x${op.toString(16)}`;
    const text = codeName === "UNKNOWN" ? `unknown error code ${code}` : ERRORS[codeName].message;
    super(
      `device error ${codeName} (${code}) on ${opName}: ${text}${detail === undefined ? "" : ` [detail ${detail}]`}`,
    );
    this.codeName = codeName;
  }

  is(name: ErrorName): boolean {
    return this.codeName === name;
  }
}

/** The link or channel was closed (or re-synchronised) while an operation was pending. */
export class LinkClosedError extends ProtocolError {
  override name = "LinkClosedError";
}

/** Throws ProtocolVersionError unless both sides speak the same version. The only version check. */
export function assertSameVersion(hostVersion: number, deviceVersion: number): void {
  if (hostVersion !== deviceVersion) throw new ProtocolVersionError(hostVersion, deviceVersion);
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}
