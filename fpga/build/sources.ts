/**
 * The RTL source lists, declared once for every consumer: the Verilator sim build (sim/device),
 * the lint test, the iverilog block testbenches and the bitstream build (fpga/build/ice40.ts).
 * Paths are project-relative. Add new blocks here (e.g. the accelerator replacing accel_stub.v).
 */

/** Directories searched by `include (soc_map.vh lives in fpga/rtl/soc). */
export const RTL_INCLUDE_DIRS = ["fpga/rtl/soc"];

export const CPU_SOURCES = [
  "fpga/rtl/cpu/rv32i_cpu.v",
  "fpga/rtl/cpu/rv32i_decode.v",
  "fpga/rtl/cpu/rv32i_alu.v",
  "fpga/rtl/cpu/rv32i_regfile.v",
];

export const UART_SOURCES = [
  "fpga/rtl/uart/uart_periph.v",
  "fpga/rtl/uart/uart_tx.v",
  "fpga/rtl/uart/uart_rx.v",
  "fpga/rtl/uart/uart_fifo.v",
  "fpga/rtl/uart/uart_cobs_rx.v",
];

/** Everything under soc_top (simulation adds SIM_MODELS for the iCE40 primitives). */
export const SOC_SOURCES = [
  "fpga/rtl/soc/soc_top.v",
  "fpga/rtl/soc/soc_bus.v",
  "fpga/rtl/soc/soc_reset.v",
  "fpga/rtl/soc/soc_rom.v",
  "fpga/rtl/soc/soc_spram.v",
  "fpga/rtl/soc/soc_spram_pair.v",
  "fpga/rtl/soc/soc_timer.v",
  "fpga/rtl/soc/soc_sysctl.v",
  "fpga/rtl/soc/accel_stub.v",
  ...CPU_SOURCES,
  ...UART_SOURCES,
];

/**
 * Accelerator blocks (fpga/rtl/accel). The matrix unit instantiates SB_MAC16: simulation and lint use
 * yosys's iCE40 cell library (sim/rtl/iverilog.ts); their vector testbenches run from test/fpga/accel.
 */
export const ACCEL_MAC_ARRAY_SOURCES = [
  "fpga/rtl/accel/quart_mac_array.v",
  "fpga/rtl/accel/quart_pe.v",
  "fpga/rtl/accel/quart_mac2_dsp.v",
  "fpga/rtl/accel/quart_mul.v",
];
export const ACCEL_OUT_STAGE_SOURCES = ["fpga/rtl/accel/quart_out_stage.v"];
export const ACCEL_DECODE_SOURCES = ["fpga/rtl/accel/quart_lut_decode.v"];
/** The vector-file loader the block testbenches include (their builds hash it into the cache key). */
export const ACCEL_TB_VECTORS = "fpga/rtl/accel/tb_vectors.vh";
/** Vector-unit blocks of the transformer operators (LayerNorm, softmax), in the core behind HAS_TRANSFORMER. */
export const ACCEL_NORM_SOURCES = ["fpga/rtl/accel/quart_norm.v"];
/** Includes fpga/rtl/accel/quart_exp2_rom.vh (pass that directory as an include path). */
export const ACCEL_SOFTMAX_SOURCES = ["fpga/rtl/accel/quart_softmax.v"];

/**
 * The accelerator core (quart_accel: fetch, queues, DMA, compute unit) with the blocks it instantiates.
 * Includes fpga/rtl/accel/isa_defs.vh (pass that directory as an include path). The simulation harness
 * and the default build use N_DSP = 0 (LUT products only), so no cell library is needed.
 */
export const ACCEL_CORE_SOURCES = [
  "fpga/rtl/accel/quart_accel.v",
  "fpga/rtl/accel/quart_accel_fetch.v",
  "fpga/rtl/accel/quart_accel_dma.v",
  "fpga/rtl/accel/quart_accel_compute.v",
  "fpga/rtl/accel/quart_accel_bram.v",
  "fpga/rtl/accel/quart_accel_ram4.v",
  "fpga/rtl/accel/quart_accel_tapstep.v",
  ...ACCEL_DECODE_SOURCES,
  ...ACCEL_MAC_ARRAY_SOURCES.filter((f) => !f.endsWith("_dsp.v")),
  ...ACCEL_OUT_STAGE_SOURCES,
  ...ACCEL_NORM_SOURCES,
  ...ACCEL_SOFTMAX_SOURCES,
];

/**
 * The SoC with the accelerator (define SOC_ACCEL): the bus wrapper, the core and the external memory.
 * soc_xmem.v is the external-memory arbiter, sim/soc_psram_sim.v the timed PSRAM behind it (simulation only
 * until the board's QSPI controller exists).
 */
export const SOC_ACCEL_SOURCES = [
  "fpga/rtl/soc/soc_accel.v",
  "fpga/rtl/soc/soc_xmem.v",
  "fpga/rtl/soc/sim/soc_psram_sim.v",
  ...ACCEL_CORE_SOURCES,
];

/** With SOC_XMEM_PINS (simulation): the board's QSPI controller and a pin-level PSRAM replace soc_psram_sim.v. */
export const SOC_XMEM_PINS_SOURCES = [
  "fpga/rtl/soc/soc_qspi_psram.v",
  "fpga/rtl/soc/sim/soc_psram_pins_sim.v",
];

/**
 * With SOC_FLASH: the QSPI NOR flash controller; SOC_FLASH_MODEL (simulation) adds the pin-level flash
 * model on its pins, whose contents the Verilator harness loads from and saves to a file (--flash).
 */
export const SOC_FLASH_SOURCES = ["fpga/rtl/soc/soc_qspi_flash.v"];
export const SOC_FLASH_MODEL_SOURCES = ["fpga/rtl/soc/sim/spi_flash_model.v"];

/** Behavioural models of iCE40 primitives, for simulation and lint only. */
export const SIM_MODELS = [
  "fpga/rtl/soc/sim/SB_SPRAM256KA.v",
  "fpga/rtl/soc/sim/SB_PLL40_PAD.v",
  "fpga/rtl/soc/sim/SB_IO.v",
];

/** The board build's defines and the sources they add to SOC_SOURCES (the flash controller on the board's pins). */
export const BOARD_DEFINES = ["SOC_FLASH"];
export const BOARD_SOURCES = [...SOC_SOURCES, ...SOC_FLASH_SOURCES];

export const BOARD_TOP = { top: "icebreaker_top", file: "fpga/rtl/soc/icebreaker_top.v" } as const;
export const BOARD_PCF = "fpga/constraints/icebreaker.pcf";

/** Self-checking iverilog testbenches: top module, its file, and the sources it needs. */
export const TESTBENCHES: ReadonlyArray<{ top: string; files: readonly string[] }> = [
  { top: "uart_fifo_tb", files: ["fpga/rtl/uart/uart_fifo_tb.v", "fpga/rtl/uart/uart_fifo.v"] },
  { top: "uart_tb", files: ["fpga/rtl/uart/uart_tb.v", ...UART_SOURCES] },
  {
    top: "soc_qspi_psram_tb",
    files: [
      "fpga/rtl/soc/soc_qspi_psram_tb.v",
      "fpga/rtl/soc/soc_qspi_psram.v",
      "fpga/rtl/soc/sim/psram_qpi_model.v",
    ],
  },
  {
    top: "soc_qspi_flash_tb",
    files: ["fpga/rtl/soc/soc_qspi_flash_tb.v", ...SOC_FLASH_SOURCES, ...SOC_FLASH_MODEL_SOURCES],
  },
  {
    top: "soc_tb",
    files: ["fpga/rtl/soc/soc_tb.v", ...SOC_SOURCES, "fpga/rtl/soc/sim/SB_SPRAM256KA.v"],
  },
];

/** Include directory of the accelerator core (isa_defs.vh, generated from compiler/isa/spec.ts). */
export const ACCEL_INCLUDE_DIRS = ["fpga/rtl/accel"];

/**
 * Lint targets (verilator --lint-only -Wall): top module, sources, extra include directories and
 * parameter overrides.
 */
export const LINT_TARGETS: ReadonlyArray<{
  top: string;
  files: readonly string[];
  includes?: readonly string[];
  params?: Readonly<Record<string, number>>;
  defines?: readonly string[];
}> = [
  { top: "rv32i_cpu", files: CPU_SOURCES },
  { top: "uart_periph", files: UART_SOURCES },
  { top: "soc_top", files: [...SOC_SOURCES, "fpga/rtl/soc/sim/SB_SPRAM256KA.v"] },
  { top: "soc_qspi_psram", files: ["fpga/rtl/soc/soc_qspi_psram.v"] },
  { top: "soc_qspi_flash", files: SOC_FLASH_SOURCES },
  {
    top: "soc_top",
    files: [
      ...SOC_SOURCES,
      ...SOC_ACCEL_SOURCES,
      ...SOC_FLASH_SOURCES,
      ...SOC_FLASH_MODEL_SOURCES,
      "fpga/rtl/soc/sim/SB_SPRAM256KA.v",
    ],
    includes: ACCEL_INCLUDE_DIRS,
    // as the simulated device builds it: the core's clock stops while it is idle; the flash and its model
    defines: ["SOC_ACCEL", "SOC_ACCEL_IDLE_GATE", "SOC_FLASH", "SOC_FLASH_MODEL"],
  },
  {
    top: "soc_top",
    files: [
      ...SOC_SOURCES,
      ...SOC_ACCEL_SOURCES,
      ...SOC_XMEM_PINS_SOURCES,
      "fpga/rtl/soc/sim/SB_SPRAM256KA.v",
    ],
    includes: ACCEL_INCLUDE_DIRS,
    defines: ["SOC_ACCEL", "SOC_XMEM_PINS"],
  },
  {
    top: BOARD_TOP.top,
    files: [BOARD_TOP.file, ...BOARD_SOURCES, ...SIM_MODELS],
    defines: BOARD_DEFINES,
  },
  { top: "quart_accel", files: ACCEL_CORE_SOURCES, includes: ACCEL_INCLUDE_DIRS },
  {
    top: "quart_accel",
    files: ACCEL_CORE_SOURCES,
    includes: ACCEL_INCLUDE_DIRS,
    params: { ROWS: 2, COLS: 4, QD: 4, CAW: 6 },
  },
];
