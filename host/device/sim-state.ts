/**
 * The record a running `quart sim` leaves for other commands: which pty its SoC is on, at which line rate,
 * and which process owns it. `--sim` in any command reads it and attaches to that SoC (the model flashed
 * by one command stays active for the next) instead of booting a private one.
 *
 * The file lives in a per-user runtime folder and is replaced atomically (write + rename), so a reader
 * sees the old or the new record, never half of one. A record whose owner is gone (killed without
 * cleaning up) is stale and ignored.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../compiler/data/atomic-write.js";

export const SIM_STATE_VERSION = 1;

export interface SimStateFaults {
  drop: number;
  flip: number;
  direction: "rx" | "tx" | "both";
  seed: number | null;
}

export interface SimState {
  version: number;
  /** The `quart sim` process that owns the simulator and removes this file on exit. */
  pid: number;
  /** The simulator process. */
  simPid: number;
  /** The pseudo-terminal of the SoC's UART. */
  pty: string;
  /** Line rate the device's UART runs at now (follows SET_BAUD from any client). */
  baud: number;
  /** Simulated seconds per wall-clock second, last measured (the link's timers scale by it). */
  speed: number;
  xmemPins: boolean;
  faults: SimStateFaults | null;
  /** TCP port bridged to the UART, if any. */
  tcp: number | null;
  /** ISO time the sim started. */
  started: string;
}

/**
 * The per-user folder for runtime records: QUART_RUNTIME_DIR, else $XDG_RUNTIME_DIR/quart, else a
 * quart-<uid> folder in the temporary directory. Tests point QUART_RUNTIME_DIR at their own folder so
 * they neither see nor disturb a sim the user keeps running.
 */
export function runtimeDir(): string {
  const explicit = process.env.QUART_RUNTIME_DIR;
  if (explicit) return explicit;
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && existsSync(xdg)) return join(xdg, "quart");
  let user: string;
  try {
    user = String(userInfo().uid);
  } catch {
    user = process.env.USER ?? "user";
  }
  return join(tmpdir(), `quart-${user}`);
}

export function simStatePath(): string {
  return join(runtimeDir(), "sim.json");
}

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isState(x: unknown): x is SimState {
  if (!x || typeof x !== "object") return false;
  const s = x as Record<string, unknown>;
  return (
    s.version === SIM_STATE_VERSION &&
    typeof s.pid === "number" &&
    typeof s.simPid === "number" &&
    typeof s.pty === "string" &&
    typeof s.baud === "number" &&
    s.baud > 0 &&
    typeof s.speed === "number" &&
    s.speed > 0
  );
}

/**
 * The running sim's record, or undefined when there is none, it is unreadable, or it is stale (its
 * owner or simulator has exited, or its pty is gone).
 */
export function readSimState(path = simStatePath()): SimState | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (!isState(parsed)) return undefined;
  if (!processAlive(parsed.pid) || !processAlive(parsed.simPid) || !existsSync(parsed.pty)) return undefined;
  return parsed;
}

/** Replaces the record atomically; the folder is created private to the user. */
export function writeSimState(state: SimState, path = simStatePath()): void {
  const dir = join(path, "..");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`));
}

/** Removes the record if it is this process's (a newer sim may have replaced a stale one of ours). */
export function removeSimState(pid = process.pid, path = simStatePath()): void {
  try {
    const s = JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown };
    if (s.pid !== pid) return;
  } catch {
    return;
  }
  rmSync(path, { force: true });
}

/**
 * The simulator of a `quart sim` runs only while a command is attached: its clock is stopped (SIGSTOP)
 * in between, or it would take a CPU core while idle. Simulated time simply pauses, as before the first
 * client with `--wait-client`; a RUN left in flight continues when the next command attaches.
 */
export function pauseSim(simPid: number): void {
  signal(simPid, "SIGSTOP");
}

export function resumeSim(simPid: number): void {
  signal(simPid, "SIGCONT");
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already: the record is stale and the next reader ignores it
  }
}

/**
 * The process's state letter from Linux /proc (R running, S sleeping, T stopped, Z zombie, …); undefined
 * when the process is gone or /proc cannot be read. The name may hold ")", so the state follows the last.
 */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) || undefined;
  } catch {
    return undefined;
  }
}

/** True when the process is stopped (false where /proc cannot be read). */
export function simPaused(simPid: number): boolean {
  return processState(simPid) === "T";
}
