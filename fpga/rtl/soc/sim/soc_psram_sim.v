// Behavioural model of the XMEM device for simulation: an 8 MiB QSPI PSRAM (APS6404-class) behind its
// controller, at the transfer interface of soc_xmem.v. Timing (SOC_XMEM_* constants): a transfer waits
// the read or write latency (chip select, QPI command and address, wait cycles), then offers a byte every
// SOC_XMEM_BYTE_CYCLES, and pays the latency again at every SOC_XMEM_BURST_BYTES boundary (the PSRAM's
// CE# low-time limit). Writes honour nibble enables (a controller does a read-modify-write for a partial
// byte). Not initialised (Verilator: zeros).
`default_nettype none
`include "soc_map.vh"

module soc_psram_sim #(
    parameter integer AW = 23,
    parameter integer READ_LAT = `SOC_XMEM_READ_LATENCY,
    parameter integer WRITE_LAT = `SOC_XMEM_WRITE_LATENCY,
    parameter integer BYTE_CYCLES = `SOC_XMEM_BYTE_CYCLES,
    parameter integer BURST = `SOC_XMEM_BURST_BYTES
) (
    input  wire          i_clk,
    input  wire          i_rst,
    input  wire          i_start,
    input  wire [AW-1:0] i_addr,
    input  wire [15:0]   i_len,
    input  wire          i_we,
    input  wire          i_abort,
    output reg           o_busy,
    output wire          o_slot,
    output wire [7:0]    o_rdata,
    input  wire          i_move,
    input  wire [7:0]    i_wdata,
    input  wire [1:0]    i_wmask
);
  localparam integer TW = 8;
  reg [7:0] r_mem[0:(1<<AW)-1];
  reg [AW-1:0] r_addr;
  reg [15:0] r_left;
  reg r_we;
  reg [TW-1:0] r_timer;

  assign o_slot = o_busy & (r_timer == {TW{1'b0}});
  assign o_rdata = r_mem[r_addr];
  wire [AW-1:0] w_next = r_addr + 1'b1;
  wire w_split = (w_next[$clog2(BURST)-1:0] == {$clog2(BURST){1'b0}});
  wire [TW-1:0] w_gap = w_split ? (r_we ? WRITE_LAT[TW-1:0] : READ_LAT[TW-1:0]) : BYTE_CYCLES[TW-1:0] - 1'b1;

  always @(posedge i_clk) begin
    if (i_rst || i_abort) begin
      o_busy <= 1'b0;
    end else if (i_start) begin
      o_busy <= 1'b1;
      r_addr <= i_addr;
      r_left <= i_len;
      r_we <= i_we;
      r_timer <= i_we ? WRITE_LAT[TW-1:0] : READ_LAT[TW-1:0];
    end else if (o_busy) begin
      if (r_timer != {TW{1'b0}}) r_timer <= r_timer - 1'b1;
      else if (i_move) begin
        if (r_we)
          r_mem[r_addr] <= {i_wmask[1] ? i_wdata[7:4] : o_rdata[7:4], i_wmask[0] ? i_wdata[3:0] : o_rdata[3:0]};
        r_addr <= w_next;
        r_left <= r_left - 1'b1;
        r_timer <= w_gap;
        if (r_left == 16'd1) o_busy <= 1'b0;
      end
    end
  end
endmodule
