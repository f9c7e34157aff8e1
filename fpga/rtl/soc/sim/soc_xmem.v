// External memory of the SoC (XMEM, soc_map.vh): behavioural model of an 8 MiB QSPI PSRAM (APS6404-class)
// with its arbiter, for simulation. Five requesters share it, one transfer at a time, granted round-robin:
// the CPU (one 32-bit word per bus access; writes are posted: answered when granted, written after), the
// accelerator's program port (16 bytes per request) and its three byte-wide DMA ports (one burst of up to
// 65535 bytes per request). Timing (SOC_XMEM_* constants): a transfer waits the read or write latency (chip
// select, QPI command and address, wait cycles), then moves one byte every SOC_XMEM_BYTE_CYCLES; it pays
// the latency again at every SOC_XMEM_BURST_BYTES boundary (the PSRAM's CE# low-time limit). On the board a
// QSPI controller with the same ports replaces the storage (TODO, see README.md); the arbiter carries over.
`default_nettype none
`include "soc_map.vh"

module soc_xmem #(
    parameter integer AW = 23,  // log2 of the size in bytes
    parameter integer READ_LAT = `SOC_XMEM_READ_LATENCY,
    parameter integer WRITE_LAT = `SOC_XMEM_WRITE_LATENCY,
    parameter integer BYTE_CYCLES = `SOC_XMEM_BYTE_CYCLES,
    parameter integer BURST = `SOC_XMEM_BURST_BYTES
) (
    input  wire         i_clk,
    input  wire         i_rst,
    // CPU slave port (valid held until ready; ready pulses one cycle)
    input  wire         i_cvalid,
    input  wire [AW-1:0] i_caddr,
    input  wire [31:0]  i_cwdata,
    input  wire [3:0]   i_cwstrb,
    output reg          o_cready,
    output reg  [31:0]  o_crdata,
    // accelerator program port
    input  wire         i_preq_valid,
    output wire         o_preq_ready,
    input  wire [31:0]  i_preq_addr,
    output reg          o_prsp_valid,
    output reg  [127:0] o_prsp_data,
    // accelerator DMA ports
    input  wire [2:0]   i_mreq_valid,
    output wire [2:0]   o_mreq_ready,
    input  wire [95:0]  i_mreq_addr,
    input  wire [47:0]  i_mreq_len,
    input  wire [2:0]   i_mreq_we,
    output wire [2:0]   o_mrvalid,
    output wire [23:0]  o_mrdata,
    input  wire [2:0]   i_mwvalid,
    output wire [2:0]   o_mwready,
    input  wire [23:0]  i_mwdata,
    input  wire [5:0]   i_mwmask,
    // abandon the accelerator's transfer and hold its requests off (core reset)
    input  wire         i_abort,
    output wire         o_accel_busy,  // serving an accelerator port this cycle
    output wire         o_accel_wait   // an accelerator port requests but is not served
);
  localparam integer TW = 8;
  reg [7:0] r_mem[0:(1<<AW)-1];

  // requesters: 0 CPU, 1 program, 2..4 DMA ports 0..2
  reg         r_busy;
  reg [2:0]   r_owner;
  reg [AW-1:0] r_addr;
  reg [15:0]  r_left;
  reg         r_we;
  reg [TW-1:0] r_timer;
  reg [3:0]   r_idx;  // byte index inside a CPU word or a program word
  reg [2:0]   r_last;
  reg [31:0]  r_cwdata;  // CPU write, posted: answered at once, written in the background
  reg [3:0]   r_cwstrb;

  // o_cready is the answer's cycle: the CPU's valid still belongs to the access just served
  wire w_cpu_req = i_cvalid & ~o_cready;
  wire [4:0] w_req = {i_mreq_valid & {3{~i_abort}}, i_preq_valid & ~i_abort, w_cpu_req};

  // round-robin: the first requester after the last grant
  reg [2:0] w_grant;
  reg       w_any;
  integer   k;
  reg [3:0] w_c;
  always @* begin
    w_grant = 3'd0;
    w_any = 1'b0;
    for (k = 1; k <= 5; k = k + 1) begin
      w_c = {1'b0, r_last} + k[3:0];
      if (w_c >= 4'd5) w_c = w_c - 4'd5;
      if (!w_any && w_req[w_c[2:0]]) begin
        w_any = 1'b1;
        w_grant = w_c[2:0];
      end
    end
  end
  wire w_accept = ~r_busy & w_any;

  assign o_preq_ready = w_accept & (w_grant == 3'd1);
  assign o_mreq_ready = {3{w_accept}} & {w_grant == 3'd4, w_grant == 3'd3, w_grant == 3'd2};

  // a data byte moves this cycle
  wire w_slot = r_busy & (r_timer == {TW{1'b0}});
  wire [1:0] w_port = r_owner[1:0] - 2'd2;
  wire w_dma = r_owner >= 3'd2;
  wire [7:0] w_rbyte = r_mem[r_addr];
  assign o_mrvalid = {3{w_slot & w_dma & ~r_we}} & {r_owner == 3'd4, r_owner == 3'd3, r_owner == 3'd2};
  assign o_mwready = {3{w_slot & w_dma & r_we}} & {r_owner == 3'd4, r_owner == 3'd3, r_owner == 3'd2};
  assign o_mrdata = {3{w_rbyte}};
  wire [31:0] w_mwd = {8'd0, i_mwdata};
  wire [7:0] w_mwm = {2'd0, i_mwmask};
  wire [3:0] w_mwv = {1'b0, i_mwvalid};
  wire [7:0] w_wdata = w_mwd[8*w_port+:8];
  wire [1:0] w_wmask = w_mwm[2*w_port+:2];
  wire w_move = w_slot & (~(w_dma & r_we) | w_mwv[w_port]);
  wire [AW-1:0] w_next = r_addr + 1'b1;
  wire w_split = (w_next[$clog2(BURST)-1:0] == {$clog2(BURST){1'b0}});
  wire [TW-1:0] w_gap = w_split ? (r_we ? WRITE_LAT[TW-1:0] : READ_LAT[TW-1:0]) : BYTE_CYCLES[TW-1:0] - 1'b1;

  // request fields of the granted port
  reg [31:0] w_gaddr;
  reg [15:0] w_glen;
  reg        w_gwe;
  always @* begin
    case (w_grant)
      3'd0: begin
        w_gaddr = {{(32 - AW) {1'b0}}, i_caddr[AW-1:2], 2'b00};
        w_glen = 16'd4;
        w_gwe = |i_cwstrb;
      end
      3'd1: begin
        w_gaddr = i_preq_addr;
        w_glen = 16'd16;
        w_gwe = 1'b0;
      end
      3'd2: begin
        w_gaddr = i_mreq_addr[31:0];
        w_glen = i_mreq_len[15:0];
        w_gwe = i_mreq_we[0];
      end
      3'd3: begin
        w_gaddr = i_mreq_addr[63:32];
        w_glen = i_mreq_len[31:16];
        w_gwe = i_mreq_we[1];
      end
      default: begin
        w_gaddr = i_mreq_addr[95:64];
        w_glen = i_mreq_len[47:32];
        w_gwe = i_mreq_we[2];
      end
    endcase
  end

  always @(posedge i_clk) begin
    o_cready <= 1'b0;
    o_prsp_valid <= 1'b0;
    if (i_rst) begin
      r_busy <= 1'b0;
      r_owner <= 3'd0;
      r_last <= 3'd4;
    end else if (r_busy && i_abort && r_owner != 3'd0) begin
      r_busy <= 1'b0;
    end else if (w_accept) begin
      r_last <= w_grant;
      r_owner <= w_grant;
      r_addr <= w_gaddr[AW-1:0];
      r_left <= w_glen;
      r_we <= w_gwe;
      r_idx <= 4'd0;
      r_timer <= w_gwe ? WRITE_LAT[TW-1:0] : READ_LAT[TW-1:0];
      r_busy <= (w_glen != 16'd0);
      r_cwdata <= i_cwdata;
      r_cwstrb <= i_cwstrb;
      if (w_grant == 3'd0 && w_gwe) o_cready <= 1'b1;
    end else if (r_busy) begin
      if (r_timer != {TW{1'b0}}) r_timer <= r_timer - 1'b1;
      else if (w_move) begin
        if (r_owner == 3'd0) begin
          if (r_we) begin
            if (r_cwstrb[r_idx[1:0]]) r_mem[r_addr] <= r_cwdata[8*r_idx[1:0]+:8];
          end else begin
            o_crdata[8*r_idx[1:0]+:8] <= w_rbyte;
            if (r_left == 16'd1) o_cready <= 1'b1;
          end
        end else if (r_owner == 3'd1) begin
          o_prsp_data[8*r_idx+:8] <= w_rbyte;
          if (r_left == 16'd1) o_prsp_valid <= 1'b1;
        end else if (r_we) begin
          r_mem[r_addr] <= {w_wmask[1] ? w_wdata[7:4] : w_rbyte[7:4], w_wmask[0] ? w_wdata[3:0] : w_rbyte[3:0]};
        end
        r_idx <= r_idx + 1'b1;
        r_addr <= w_next;
        r_left <= r_left - 1'b1;
        r_timer <= w_gap;
        if (r_left == 16'd1) r_busy <= 1'b0;
      end
    end
  end

  assign o_accel_busy = r_busy & (r_owner != 3'd0);
  assign o_accel_wait = |w_req[4:1] & ~(w_accept & (w_grant != 3'd0));
  wire w_unused = &{1'b0, i_caddr[1:0], w_gaddr[31:AW]};
endmodule
