/** What `quart info` / `quart flash` report about a device: pure functions over the protocol's INFO. */
import { ISA_HASH, ISA_VERSION } from "../../compiler/isa/spec.js";
import { socMapHash } from "../../fpga/soc/map.js";
import type { DeviceInfo } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";

/** The fields of INFO.firmware, "fw1 isa1.c0629c75 map.a106627c" (firmware/app/main.c). */
export interface FirmwareId {
  firmwareVersion: number;
  isaVersion: number;
  isaHash: number;
  /** SoC map hash the firmware was built against. */
  mapHash: number;
  /** The hardware's SYSCTL.MAP_HASH differs from the one the firmware was built with. */
  hardwareMapDiffers: boolean;
}

export function parseFirmwareId(s: string): FirmwareId | undefined {
  const m = /^fw(\d+) isa(\d+)\.([0-9a-f]{8}) map\.([0-9a-f]{8})(!?)$/.exec(s);
  if (!m) return undefined;
  return {
    firmwareVersion: Number(m[1]),
    isaVersion: Number(m[2]),
    isaHash: Number.parseInt(m[3]!, 16),
    mapHash: Number.parseInt(m[4]!, 16),
    hardwareMapDiffers: m[5] === "!",
  };
}

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

export interface InfoReport {
  port: string;
  device: string;
  firmware: string;
  protocol: { device: number; host: number };
  isa: { version: number; hash: string; host_version: number; host_hash: string; match: boolean } | null;
  soc_map: { hash: string; host_hash: string; match: boolean; hardware_matches_firmware: boolean } | null;
  clock_hz: number;
  /** The model area: LOAD stages into the free slot, so the largest blob is also the free memory. */
  model_memory: { capacity_bytes: number; free_bytes: number };
  active_model: { size: number; crc: string } | null;
  /** The model in the device's flash, which it activates at power-up. */
  stored_model: { size: number; crc: string; commit: number } | null;
  input_capacity: number;
  uptime_ms: number;
  link: { window: number; max_payload: number; baud: number };
  notes: string[];
}

export function infoReport(
  info: DeviceInfo,
  port: string,
  baud: number,
  notes: readonly string[],
): InfoReport {
  const id = parseFirmwareId(info.firmware);
  const hostMap = socMapHash();
  return {
    port,
    device: info.device,
    firmware: info.firmware,
    protocol: { device: info.version, host: PROTOCOL_VERSION },
    isa: id
      ? {
          version: id.isaVersion,
          hash: hex(id.isaHash),
          host_version: ISA_VERSION,
          host_hash: hex(ISA_HASH),
          match: id.isaVersion === ISA_VERSION && id.isaHash === ISA_HASH >>> 0,
        }
      : null,
    soc_map: id
      ? {
          hash: hex(id.mapHash),
          host_hash: hex(hostMap),
          match: id.mapHash === hostMap,
          hardware_matches_firmware: !id.hardwareMapDiffers,
        }
      : null,
    clock_hz: info.clockHz,
    model_memory: { capacity_bytes: info.stageCapacity, free_bytes: info.stageCapacity },
    active_model: info.model ? { size: info.model.size, crc: hex(info.model.crc) } : null,
    stored_model: info.stored
      ? { size: info.stored.size, crc: hex(info.stored.crc), commit: info.stored.seq }
      : null,
    input_capacity: info.inputCapacity,
    uptime_ms: info.uptimeMs,
    link: { window: info.link.window, max_payload: info.link.maxPayload, baud },
    notes: [...notes],
  };
}

export function formatInfo(r: InfoReport): string {
  const ok = (b: boolean) => (b ? "matches host" : "DIFFERS from host");
  const lines = [
    `device     ${r.device} on ${r.port} (${r.link.baud} baud, window ${r.link.window})`,
    `firmware   ${r.firmware}`,
    `protocol   v${r.protocol.device} (host v${r.protocol.host})`,
    r.isa
      ? `ISA        v${r.isa.version} hash ${r.isa.hash} (${ok(r.isa.match)})`
      : "ISA        unknown (firmware id not recognised)",
    r.soc_map
      ? `SoC map    ${r.soc_map.hash} (${ok(r.soc_map.match)}${r.soc_map.hardware_matches_firmware ? "" : "; hardware map differs from the firmware's"})`
      : "SoC map    unknown",
    `clock      ${(r.clock_hz / 1e6).toFixed(1)} MHz, up ${(r.uptime_ms / 1000).toFixed(2)} s`,
    `model mem  ${r.model_memory.free_bytes} bytes free for the next model (largest blob ${r.model_memory.capacity_bytes})`,
    `model      ${r.active_model ? `${r.active_model.size} bytes, crc ${r.active_model.crc}` : "none loaded"}`,
    `stored     ${r.stored_model ? `${r.stored_model.size} bytes, crc ${r.stored_model.crc} in flash (commit ${r.stored_model.commit}; active after power-up)` : "nothing in flash"}`,
    ...r.notes.map((n) => `note       ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}
