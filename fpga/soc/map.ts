/**
 * The SoC memory map: the single source of truth.
 *
 * `fpga/soc/gen-map.ts` renders this table into the Verilog header (`fpga/rtl/soc/soc_map.vh`), the C header
 * (`firmware/include/soc_map.h`), the linker memory regions (`firmware/link/memory.ld`) and the markdown table
 * (`docs/soc-map.md`). A test regenerates them and fails on any difference. Edit this file, then run
 * `node dist/fpga/soc/gen-map.js` after `npx tsc -p .`.
 */
import { createHash } from "node:crypto";

/** How software sees a register. `rc`: reading has a side effect (pops a FIFO, latches a shadow). */
export type Access = "ro" | "rw" | "wo" | "w1c" | "rc";

export interface FieldDef {
  readonly name: string;
  readonly lsb: number;
  readonly width: number;
  readonly doc: string;
}

export interface RegisterDef {
  readonly name: string;
  /** Byte offset from the region base; word aligned. */
  readonly offset: number;
  readonly access: Access;
  readonly reset?: number;
  readonly doc: string;
  readonly fields?: readonly FieldDef[];
}

/** `rom`/`ram` regions become linker memory regions; `io` regions hold 32-bit registers (use lw/sw). */
export type RegionKind = "rom" | "ram" | "io";

export interface RegionDef {
  readonly name: string;
  readonly base: number;
  /** Power of two; the base is aligned to it. The bus decodes all 32 address bits. */
  readonly size: number;
  readonly kind: RegionKind;
  readonly doc: string;
  readonly registers?: readonly RegisterDef[];
}

export interface ConstantDef {
  readonly name: string;
  readonly value: number;
  readonly doc: string;
  /** Bit width: the Verilog macro becomes a sized literal (otherwise a plain integer). */
  readonly width?: number;
}

export interface SocMap {
  readonly name: string;
  readonly regions: readonly RegionDef[];
  readonly constants: readonly ConstantDef[];
}

const KiB = 1024;

/** SoC clock on the board (12 MHz oscillator × PLL) and the clock the sim models. */
export const SOC_CLOCK_HZ = 24_000_000;
/** UART line rate after reset. Firmware may reprogram UART.DIVISOR. */
export const UART_RESET_BAUD = 115_200;
export const UART_RESET_DIVISOR = Math.round(SOC_CLOCK_HZ / UART_RESET_BAUD);

const MiB = 1024 * KiB;
/** The external memory (XMEM region): 8 MiB QSPI PSRAM. */
export const XMEM_BYTES = 8 * MiB;

/**
 * How the firmware divides XMEM (offsets from its base). Two model slots, because LOAD stages into the
 * slot that is not active and an interrupted upload must leave the running model intact; each holds the
 * device image of a PyDNet-mobile W4A4 blob (the host uploads program, weights and tables without the
 * META section only host tools read: 1.42 MB at a 128×320 input, 1.83 MB at its own 192×640, where the
 * program grows). Then the input frame (codes as received: 192×640×3 fits), the output codes RUN_OUTPUT
 * streams, and the ACT arena gets the rest (3.375 MiB): the activation memory the icebreaker target
 * lowers for (compiler/isa/targets.ts); PyDNet needs 2.34 MiB at 192×640.
 */
export const XMEM_LAYOUT = (() => {
  const slot = 2 * MiB;
  const input = { offset: 2 * slot, size: 512 * KiB };
  const output = { offset: input.offset + input.size, size: 128 * KiB };
  const act = { offset: output.offset + output.size, size: XMEM_BYTES - (output.offset + output.size) };
  return { slotSize: slot, input, output, act } as const;
})();

/**
 * The board's QSPI NOR flash (iCEBreaker: W25Q128JV-class, 16 MiB). The FPGA bitstream sits at offset 0
 * (the UP5K's is 104 KB; the first MiB is left to it), then two 4 KiB commit-record sectors, then two
 * model slots of XMEM slot size: LOAD programs the slot not in use and writes a commit record last, so
 * a model survives power-off and an interrupted LOAD leaves the previous one in place. Busy times are
 * the part's typical figures (W25Q128JV data sheet: tSE 45 ms, tBE1 150 ms, tPP 0.4 ms) at the SoC
 * clock; the simulation's flash model waits exactly that long.
 */
export const FLASH_BYTES = 16 * MiB;
export const FLASH_LAYOUT = (() => {
  const bitstream = { offset: 0, size: 1 * MiB };
  const record = { offset: 1 * MiB, sectorSize: 4 * KiB, sectors: 2 };
  const slotSize = XMEM_LAYOUT.slotSize;
  const slot0 = 2 * MiB;
  return { bitstream, record, slotSize, slots: [slot0, slot0 + slotSize] } as const;
})();
const usToCycles = (us: number): number => Math.round((us * SOC_CLOCK_HZ) / 1e6);

export const socMap: SocMap = {
  name: "quart-soc",
  regions: [
    {
      name: "ROM",
      base: 0x0000_0000,
      // 4 EBRs: the boot images are under 1 KiB (the loader 920 B); the chip's 30 EBRs are the accelerator's
      size: 2 * KiB,
      kind: "rom",
      doc: "Boot ROM in EBR, holds the firmware image (loaded at elaboration from a hex file); writes are ignored. Reset vector is its base.",
    },
    {
      name: "RAM",
      base: 0x0001_0000,
      size: 64 * KiB,
      kind: "ram",
      doc: "Data RAM: two SB_SPRAM256KA side by side (16 K × 32 bit). Executable. Not initialised at power-up. Split by software into the application area (RAM_APP_SIZE bytes from the base: the app image the boot ROM verifies, then its data, bss and stack) and the model area (RAM_MODEL_SIZE bytes after it).",
    },
    {
      name: "UART",
      base: 0x1000_0000,
      size: 4 * KiB,
      kind: "io",
      doc: "8N1 UART with TX and RX FIFOs.",
      registers: [
        {
          name: "TXDATA",
          offset: 0x00,
          access: "rw",
          doc: "Write: bits 7:0 are pushed into the TX FIFO (dropped when full). Read: FULL flag.",
          fields: [
            { name: "DATA", lsb: 0, width: 8, doc: "byte to send" },
            { name: "FULL", lsb: 31, width: 1, doc: "TX FIFO full (read)" },
          ],
        },
        {
          name: "RXDATA",
          offset: 0x04,
          access: "rc",
          doc: "Read pops one entry from the RX FIFO; EMPTY set means nothing was popped. With CTRL.FRAMED an entry is a decoded frame byte, or (MARK set) the end of a frame with its verdict in bit 0.",
          fields: [
            { name: "DATA", lsb: 0, width: 8, doc: "received byte (MARK: bit 0 = frame OK)" },
            {
              name: "MARK",
              lsb: 8,
              width: 1,
              doc: "CTRL.FRAMED: end of a frame; DATA bit 0 set when its COBS blocks and CRC-32 checked out",
            },
            { name: "EMPTY", lsb: 31, width: 1, doc: "RX FIFO was empty, DATA invalid" },
          ],
        },
        {
          name: "STATUS",
          offset: 0x08,
          access: "w1c",
          doc: "Line and FIFO status. Write 1 to OVERRUN or FRAME_ERR to clear them.",
          fields: [
            { name: "RX_VALID", lsb: 0, width: 1, doc: "RX FIFO not empty" },
            { name: "TX_FULL", lsb: 1, width: 1, doc: "TX FIFO full" },
            { name: "TX_IDLE", lsb: 2, width: 1, doc: "TX FIFO empty and transmitter idle" },
            {
              name: "OVERRUN",
              lsb: 3,
              width: 1,
              doc: "sticky: a byte arrived while the RX FIFO was full (byte lost)",
            },
            { name: "FRAME_ERR", lsb: 4, width: 1, doc: "sticky: a stop bit was 0" },
          ],
        },
        {
          name: "DIVISOR",
          offset: 0x0c,
          access: "rw",
          reset: UART_RESET_DIVISOR,
          doc: "Clock cycles per bit (16 bits, minimum 4). Baud = SOC_CLOCK_HZ / DIVISOR.",
          fields: [{ name: "VALUE", lsb: 0, width: 16, doc: "cycles per bit" }],
        },
        {
          name: "LEVELS",
          offset: 0x10,
          access: "ro",
          doc: "FIFO fill levels.",
          fields: [
            { name: "RX", lsb: 0, width: 16, doc: "bytes waiting in the RX FIFO" },
            { name: "TX", lsb: 16, width: 16, doc: "bytes waiting in the TX FIFO" },
          ],
        },
        {
          name: "CTRL",
          offset: 0x14,
          access: "rw",
          reset: 0,
          doc: "Receive mode. Writing it also clears a pending bad-frame verdict.",
          fields: [
            {
              name: "FRAMED",
              lsb: 0,
              width: 1,
              doc: "decode COBS frames and check their CRC-32 in hardware (protocol firmware at high rates); 0: raw bytes",
            },
          ],
        },
      ],
    },
    {
      name: "TIMER",
      base: 0x1000_1000,
      size: 4 * KiB,
      kind: "io",
      doc: "64-bit cycle counter (also read by the CPU's cycle/time CSRs) and the watchdog.",
      registers: [
        {
          name: "CYCLE_LO",
          offset: 0x00,
          access: "rc",
          doc: "Low word of the cycle counter; reading it latches the high word into CYCLE_HI.",
        },
        { name: "CYCLE_HI", offset: 0x04, access: "ro", doc: "High word latched by the last CYCLE_LO read." },
        {
          name: "WDT_CTRL",
          offset: 0x08,
          access: "rw",
          reset: 0,
          doc: "Watchdog control; cleared by every reset.",
          fields: [{ name: "ENABLE", lsb: 0, width: 1, doc: "count down and reset the SoC at zero" }],
        },
        {
          name: "WDT_TIMEOUT",
          offset: 0x0c,
          access: "rw",
          reset: 0xffff_ffff,
          doc: "Watchdog reload value in cycles.",
        },
        { name: "WDT_KICK", offset: 0x10, access: "wo", doc: "Any write reloads the watchdog counter." },
        { name: "WDT_COUNT", offset: 0x14, access: "ro", doc: "Cycles left before the watchdog fires." },
      ],
    },
    {
      name: "SYSCTL",
      base: 0x1000_2000,
      size: 4 * KiB,
      kind: "io",
      doc: "Identity, reset control, LEDs and the simulation exit port.",
      registers: [
        { name: "ID", offset: 0x00, access: "ro", reset: 0x5155_4131, doc: 'SoC identity, "QUA1".' },
        {
          name: "MAP_HASH",
          offset: 0x04,
          access: "ro",
          doc: "First 32 bits of the SHA-256 of this map (SOC_MAP_HASH).",
        },
        { name: "CLOCK_HZ", offset: 0x08, access: "ro", reset: SOC_CLOCK_HZ, doc: "SoC clock frequency." },
        {
          name: "RESET_CAUSE",
          offset: 0x0c,
          access: "w1c",
          doc: "Causes of resets since power-up (kept across resets); write 1s to clear.",
          fields: [
            { name: "POR", lsb: 0, width: 1, doc: "power-on" },
            { name: "BUTTON", lsb: 1, width: 1, doc: "reset button" },
            { name: "WATCHDOG", lsb: 2, width: 1, doc: "watchdog expired" },
            { name: "SOFTWARE", lsb: 3, width: 1, doc: "write of RESET_KEY to RESET" },
          ],
        },
        { name: "RESET", offset: 0x10, access: "wo", doc: "Writing SYSCTL_RESET_KEY resets the SoC." },
        {
          name: "LEDS",
          offset: 0x14,
          access: "rw",
          reset: 0,
          doc: "Board LEDs (1 = on).",
          fields: [
            { name: "RED", lsb: 0, width: 1, doc: "red LED" },
            { name: "GREEN", lsb: 1, width: 1, doc: "green LED" },
          ],
        },
        {
          name: "SIM_EXIT",
          offset: 0x18,
          access: "wo",
          doc: "Simulation only: a write stops the Verilator harness with exit code bits 7:0. No effect on the board.",
        },
        { name: "SCRATCH", offset: 0x1c, access: "rw", reset: 0, doc: "Free for software." },
      ],
    },
    {
      name: "FLASHCTL",
      base: 0x1000_3000,
      size: 4 * KiB,
      kind: "io",
      doc: "QSPI NOR flash controller (fpga/rtl/soc/soc_qspi_flash.v): command interface for write enable, program, erase and status (the CPU drives them byte by byte with CS held); the FLASH region reads the array with quad I/O fast reads (0xEB). Builds without the controller read 0 here (ID = 0).",
      registers: [
        {
          name: "ID",
          offset: 0x00,
          access: "ro",
          reset: 0x3146_5351,
          doc: 'Controller identity, "QSF1" in memory order; 0 without the controller.',
        },
        {
          name: "CTRL",
          offset: 0x04,
          access: "rw",
          reset: 0,
          doc: "Command mode. CS set holds the flash selected across DATA writes (one command); clearing it ends the command (the flash starts a program or erase then). Reads of the FLASH region while CS is set answer all ones.",
          fields: [
            { name: "CS", lsb: 0, width: 1, doc: "select the flash (CS# low) for a command" },
            {
              name: "QUAD",
              lsb: 1,
              width: 1,
              doc: "DATA shifts out on IO0..3, 4 bits per clock (quad page program data); 0: IO0 only, IO1 sampled",
            },
            { name: "BYTES", lsb: 4, width: 2, doc: "bytes per DATA write, minus one" },
          ],
        },
        {
          name: "DATA",
          offset: 0x08,
          access: "rw",
          doc: "Write: shifts CTRL.BYTES + 1 bytes of the word out, bits 7:0 first, each MSB first; the bus waits until they are out. Read: the bytes IO1 delivered during the last write, the first in bits 7:0.",
        },
        {
          name: "BURSTS",
          offset: 0x0c,
          access: "ro",
          doc: "Quad reads the FLASH region started (0xEB commands) since reset; a word read that continues the previous one's address streams on without a new command.",
        },
      ],
    },
    {
      name: "ACCEL",
      base: 0x2000_0000,
      size: 64 * KiB,
      kind: "io",
      doc: "Accelerator: the register window of the quart_accel core (fpga/rtl/accel/README.md) at offsets 0x00..0xff, then the SoC wrapper's registers. Builds without the core (the board until it fits) answer ID with ACCEL_STUB_ID and read 0 elsewhere.",
      registers: [
        {
          name: "CTRL",
          offset: 0x00,
          access: "wo",
          doc: "Bit 0: start (clears the counters, tokens and queues, fetches from PROG_BASE).",
        },
        {
          name: "STATUS",
          offset: 0x04,
          access: "ro",
          reset: 0,
          doc: "Core status.",
          fields: [
            { name: "RUNNING", lsb: 0, width: 1, doc: "a program is running" },
            { name: "DONE", lsb: 1, width: 1, doc: "FINISH executed" },
            { name: "ERROR", lsb: 2, width: 1, doc: "the core stopped on an error" },
            { name: "ERR_SRC", lsb: 8, width: 4, doc: "error source: 1 fetch, 2 load, 3 compute, 4 store" },
            { name: "ERR_CODE", lsb: 12, width: 4, doc: "error code" },
          ],
        },
        {
          name: "PROG_BASE",
          offset: 0x08,
          access: "rw",
          reset: 0,
          doc: "Bus address of program word 0 (XMEM).",
        },
        {
          name: "ACT_BASE",
          offset: 0x0c,
          access: "rw",
          reset: 0,
          doc: "Bus address of the ACT segment (XMEM).",
        },
        {
          name: "WGT_BASE",
          offset: 0x10,
          access: "rw",
          reset: 0,
          doc: "Bus address of the WGT segment (XMEM).",
        },
        {
          name: "TBL_BASE",
          offset: 0x14,
          access: "rw",
          reset: 0,
          doc: "Bus address of the TBL segment (XMEM).",
        },
        { name: "ISA_HASH", offset: 0x18, access: "ro", doc: "ISA_HASH the core was built for." },
        {
          name: "SHAPE",
          offset: 0x1c,
          access: "ro",
          doc: "Array shape.",
          fields: [
            { name: "COLS", lsb: 0, width: 16, doc: "array columns (output pixels)" },
            { name: "ROWS", lsb: 16, width: 16, doc: "array rows (output channels)" },
          ],
        },
        { name: "CYCLES", offset: 0x20, access: "ro", doc: "Cycles from start to DONE." },
        { name: "LOAD_BUSY", offset: 0x24, access: "ro", doc: "Cycles the load queue executes." },
        {
          name: "LOAD_STALL",
          offset: 0x28,
          access: "ro",
          doc: "Cycles the load queue's head waits for a token.",
        },
        { name: "COMPUTE_BUSY", offset: 0x2c, access: "ro", doc: "Cycles the compute queue executes." },
        {
          name: "COMPUTE_STALL",
          offset: 0x30,
          access: "ro",
          doc: "Cycles the compute queue's head waits for a token.",
        },
        { name: "STORE_BUSY", offset: 0x34, access: "ro", doc: "Cycles the store queue executes." },
        {
          name: "STORE_STALL",
          offset: 0x38,
          access: "ro",
          doc: "Cycles the store queue's head waits for a token.",
        },
        { name: "MACS_LO", offset: 0x3c, access: "ro", doc: "Array MACs, low word (padding taps included)." },
        { name: "MACS_HI", offset: 0x40, access: "ro", doc: "Array MACs, high word." },
        { name: "LOAD_BYTES", offset: 0x44, access: "ro", doc: "LOAD DMA bytes." },
        { name: "LOADT_BYTES", offset: 0x48, access: "ro", doc: "LOADT DMA bytes." },
        { name: "STORE_BYTES", offset: 0x4c, access: "ro", doc: "STORE DMA bytes." },
        { name: "DISPATCHED", offset: 0x50, access: "ro", doc: "Instructions dispatched to the queues." },
        { name: "PROG_WORDS", offset: 0x54, access: "ro", doc: "Words read from the program port." },
        { name: "VEC_OUTPUTS", offset: 0x58, access: "ro", doc: "VEC and RESIZE results." },
        { name: "TAP_CYCLES", offset: 0x5c, access: "ro", doc: "Cycles the array spent on taps." },
        { name: "TOKENS", offset: 0x60, access: "ro", doc: "Tokens left: s2c, c2s, c2l, l2c (a byte each)." },
        {
          name: "ID",
          offset: 0x100,
          access: "ro",
          reset: 0x4143_4331,
          doc: 'Wrapper identity: "ACC1" with the core, ACCEL_STUB_ID without.',
        },
        {
          name: "CORE_RESET",
          offset: 0x104,
          access: "wo",
          doc: "Writing 1 resets the core and abandons its external-memory transfer (watchdog recovery).",
        },
        {
          name: "XMEM_BUSY",
          offset: 0x108,
          access: "ro",
          doc: "Cycles the external memory spent on the core's requests since the last start.",
        },
        {
          name: "XMEM_WAIT",
          offset: 0x10c,
          access: "ro",
          doc: "Cycles a core request waited for the external memory (arbitration) since the last start.",
        },
      ],
    },
    {
      name: "XMEM",
      base: 0x4000_0000,
      size: XMEM_BYTES,
      kind: "ram",
      doc: "External memory: 8 MiB QSPI PSRAM (APS6404-class, PMOD) shared by the CPU (one 32-bit word per transfer, slow) and the accelerator's program and DMA ports through a round-robin arbiter, one transfer at a time. The arbiter is fpga/rtl/soc/soc_xmem.v; the simulation's PSRAM is a timed behavioural model (fpga/rtl/soc/sim/soc_psram_sim.v); the board's QSPI controller is a TODO. Not initialised at power-up.",
    },
    {
      name: "FLASH",
      base: 0x5000_0000,
      size: FLASH_BYTES,
      kind: "rom",
      doc: "The QSPI NOR flash array, read-only: a word read is a quad I/O fast read (0xEB: command, address and mode on the pins, 4 dummy clocks, 8 data nibbles at SCLK = clk / 2); the next word's read continues the same command. Program and erase go through FLASHCTL. Layout: FLASH_* constants.",
    },
  ],
  constants: [
    { name: "CLOCK_HZ", value: SOC_CLOCK_HZ, doc: "SoC clock frequency in Hz" },
    { name: "UART_RESET_BAUD", value: UART_RESET_BAUD, doc: "UART line rate after reset" },
    { name: "UART_RX_FIFO_DEPTH", value: 512, doc: "RX FIFO entries (9 bit: two EBR)" },
    { name: "UART_TX_FIFO_DEPTH", value: 16, doc: "TX FIFO bytes" },
    { name: "SYSCTL_RESET_KEY", value: 0x0000_b007, doc: "value to write to SYSCTL.RESET" },
    { name: "RESET_CYCLES", value: 16, doc: "cycles the reset is held after any reset request" },
    {
      name: "RAM_APP_SIZE",
      value: 44 * KiB,
      doc: "RAM bytes from the RAM base for the application: its image, then .data, .bss and the stack",
    },
    {
      name: "RAM_APP_IMAGE_SIZE",
      value: 24 * KiB,
      doc: "largest application image (header + code + constants + .data initialisers) at the RAM base",
    },
    {
      name: "RAM_MODEL_SIZE",
      value: 20 * KiB,
      doc: "RAM bytes after the application area for model blobs: two halves (staging and active)",
    },
    {
      name: "ACCEL_STUB_ID",
      value: 0x4143_4330,
      doc: 'ACCEL.ID of a build without the core, "ACC0"',
      width: 32,
    },
    {
      name: "XMEM_SLOT_SIZE",
      value: XMEM_LAYOUT.slotSize,
      doc: "bytes of each of the two model slots at the XMEM base (LOAD stages into the one not active); the largest blob",
    },
    {
      name: "XMEM_INPUT_OFFSET",
      value: XMEM_LAYOUT.input.offset,
      doc: "XMEM offset of the input frame RUN receives (codes, NCHW)",
    },
    { name: "XMEM_INPUT_SIZE", value: XMEM_LAYOUT.input.size, doc: "bytes of the input frame buffer" },
    {
      name: "XMEM_OUTPUT_OFFSET",
      value: XMEM_LAYOUT.output.offset,
      doc: "XMEM offset of the output codes RUN_OUTPUT streams",
    },
    { name: "XMEM_OUTPUT_SIZE", value: XMEM_LAYOUT.output.size, doc: "bytes of the output code buffer" },
    {
      name: "XMEM_ACT_OFFSET",
      value: XMEM_LAYOUT.act.offset,
      doc: "XMEM offset of the accelerator's ACT arena (ACT_BASE)",
    },
    {
      name: "XMEM_ACT_SIZE",
      value: XMEM_LAYOUT.act.size,
      doc: "bytes of the ACT arena: the rest of XMEM, the activation memory of the icebreaker target",
    },
    {
      name: "XMEM_READ_LATENCY",
      value: 16,
      doc: "XMEM cycles before the first byte of a read: CE setup, QPI command (2), address (6), wait cycles (6), turnaround",
    },
    {
      name: "XMEM_WRITE_LATENCY",
      value: 10,
      doc: "XMEM cycles before the first byte of a write: CE setup, QPI command (2), address (6), turnaround",
    },
    {
      name: "XMEM_BYTE_CYCLES",
      value: 2,
      doc: "XMEM cycles per data byte (QPI, 4 bits per clock, SCLK = SoC clock)",
    },
    {
      name: "XMEM_BURST_BYTES",
      value: 64,
      doc: "longest XMEM burst: a transfer is split at every multiple of it (CE low time limit of the PSRAM's refresh, page boundaries), each piece paying the latency again",
    },
    {
      name: "FLASH_RECORD_OFFSET",
      value: FLASH_LAYOUT.record.offset,
      doc: "flash offset of the first of the two commit-record sectors",
    },
    {
      name: "FLASH_SECTOR_SIZE",
      value: FLASH_LAYOUT.record.sectorSize,
      doc: "flash erase sector (0x20 erases one)",
    },
    { name: "FLASH_BLOCK_SIZE", value: 64 * KiB, doc: "flash erase block (0xD8 erases one)" },
    { name: "FLASH_PAGE_SIZE", value: 256, doc: "flash program page (0x32 programs up to one, within it)" },
    { name: "FLASH_SLOT0_OFFSET", value: FLASH_LAYOUT.slots[0], doc: "flash offset of model slot 0" },
    { name: "FLASH_SLOT1_OFFSET", value: FLASH_LAYOUT.slots[1], doc: "flash offset of model slot 1" },
    {
      name: "FLASH_SLOT_SIZE",
      value: FLASH_LAYOUT.slotSize,
      doc: "bytes of each flash model slot (= XMEM_SLOT_SIZE)",
    },
    {
      name: "FLASH_SECTOR_ERASE_CYCLES",
      value: usToCycles(45_000),
      doc: "cycles a 4 KiB sector erase keeps the flash busy (tSE typ. 45 ms)",
    },
    {
      name: "FLASH_BLOCK_ERASE_CYCLES",
      value: usToCycles(150_000),
      doc: "cycles a 64 KiB block erase keeps the flash busy (tBE1 typ. 150 ms)",
    },
    {
      name: "FLASH_PAGE_PROGRAM_CYCLES",
      value: usToCycles(400),
      doc: "cycles a page program keeps the flash busy (tPP typ. 0.4 ms)",
    },
    {
      name: "FLASH_JEDEC_ID",
      value: 0xef4018,
      doc: "JEDEC ID (0x9F) of the W25Q128JV: manufacturer, type, capacity",
    },
    { name: "APP_HEADER_SIZE", value: 16, doc: "application image header: magic, length, CRC-32, entry" },
    { name: "APP_MAGIC", value: 0x5050_4151, doc: 'application image magic, "QAPP" in memory order' },
    { name: "HALT_ECALL", value: 1, doc: "CPU halt cause: ecall", width: 3 },
    { name: "HALT_EBREAK", value: 2, doc: "CPU halt cause: ebreak", width: 3 },
    { name: "HALT_ILLEGAL", value: 3, doc: "CPU halt cause: illegal or unsupported instruction", width: 3 },
    {
      name: "HALT_MISALIGNED_FETCH",
      value: 4,
      doc: "CPU halt cause: jump or taken branch to a target not 4-byte aligned",
      width: 3,
    },
    {
      name: "HALT_MISALIGNED_LOAD",
      value: 5,
      doc: "CPU halt cause: load address not aligned to its size",
      width: 3,
    },
    {
      name: "HALT_MISALIGNED_STORE",
      value: 6,
      doc: "CPU halt cause: store address not aligned to its size",
      width: 3,
    },
  ],
};

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Throws on a malformed map: overlapping or misaligned regions, registers outside their region, bad fields. */
export function validateMap(map: SocMap): void {
  const names = new Set<string>();
  const ident = /^[A-Z][A-Z0-9_]*$/;
  for (const r of map.regions) {
    if (!ident.test(r.name)) throw new Error(`region name ${r.name} is not UPPER_SNAKE`);
    if (names.has(r.name)) throw new Error(`duplicate region ${r.name}`);
    names.add(r.name);
    if (!isPow2(r.size)) throw new Error(`region ${r.name}: size ${r.size} is not a power of two`);
    if (r.base % r.size !== 0) throw new Error(`region ${r.name}: base is not aligned to its size`);
    if (r.base + r.size > 2 ** 32) throw new Error(`region ${r.name}: beyond 4 GiB`);
    if ((r.kind === "io") !== (r.registers !== undefined)) {
      throw new Error(`region ${r.name}: io regions and only io regions list registers`);
    }
    const regNames = new Set<string>();
    const offsets = new Set<number>();
    for (const reg of r.registers ?? []) {
      if (!ident.test(reg.name)) throw new Error(`${r.name}.${reg.name}: name is not UPPER_SNAKE`);
      if (regNames.has(reg.name)) throw new Error(`${r.name}: duplicate register ${reg.name}`);
      regNames.add(reg.name);
      if (reg.offset % 4 !== 0 || reg.offset < 0 || reg.offset >= r.size) {
        throw new Error(`${r.name}.${reg.name}: offset must be word aligned and inside the region`);
      }
      if (offsets.has(reg.offset)) throw new Error(`${r.name}.${reg.name}: offset used twice`);
      offsets.add(reg.offset);
      let used = 0n;
      for (const f of reg.fields ?? []) {
        if (f.width < 1 || f.lsb < 0 || f.lsb + f.width > 32)
          throw new Error(`${r.name}.${reg.name}.${f.name}: out of range`);
        const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
        if (used & mask) throw new Error(`${r.name}.${reg.name}.${f.name}: overlaps another field`);
        used |= mask;
      }
    }
  }
  const sorted = [...map.regions].sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.base + prev.size > sorted[i]!.base)
      throw new Error(`regions ${prev.name} and ${sorted[i]!.name} overlap`);
  }
  const constNames = new Set<string>();
  for (const c of map.constants) {
    if (!ident.test(c.name) || constNames.has(c.name))
      throw new Error(`constant ${c.name}: bad or duplicate name`);
    constNames.add(c.name);
  }
}

/** First 32 bits of the SHA-256 over the canonical JSON of the map; carried by SYSCTL.MAP_HASH. */
export function socMapHash(map: SocMap = socMap): number {
  const digest = createHash("sha256").update(JSON.stringify(map)).digest();
  return digest.readUInt32BE(0);
}

export function region(name: string, map: SocMap = socMap): RegionDef {
  const r = map.regions.find((x) => x.name === name);
  if (!r) throw new Error(`no region ${name}`);
  return r;
}

/** Absolute address of a register, e.g. `regAddr("UART", "TXDATA")`. */
export function regAddr(regionName: string, regName: string, map: SocMap = socMap): number {
  const r = region(regionName, map);
  const reg = r.registers?.find((x) => x.name === regName);
  if (!reg) throw new Error(`no register ${regionName}.${regName}`);
  return r.base + reg.offset;
}

export function constant(name: string, map: SocMap = socMap): number {
  const c = map.constants.find((x) => x.name === name);
  if (!c) throw new Error(`no constant ${name}`);
  return c.value;
}
