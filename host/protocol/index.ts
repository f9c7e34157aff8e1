/** The quart host↔device protocol: public API. See docs/protocol.md. */
export { type Body, decodeBody, encodeBody } from "./body.js";
export { type ChannelOptions, type ChannelStats, FramedChannel, type PeerInfo } from "./channel.js";
export {
  type ClientOptions,
  DeviceClient,
  type DeviceInfo,
  type DeviceStats,
  type LoadOptions,
  type LoadProgress,
  type LoadResult,
  type RunResult,
} from "./client.js";
export { crc32 } from "./crc32.js";
export {
  ChecksumError,
  DeviceError,
  FramingError,
  LinkClosedError,
  ProtocolError,
  ProtocolVersionError,
  TimeoutError,
} from "./errors.js";
export { decodeFrame, encodeFrame, type Frame, FrameParser } from "./frame.js";
export {
  bridge,
  type FaultOptions,
  type LineOptions,
  type LineStats,
  type Link,
  LoopbackLink,
  StreamLink,
  seededRandom,
} from "./link.js";
export { ERRORS, LIMITS, MESSAGES, type MessageName, PROTOCOL_VERSION, TIMING } from "./spec.js";
