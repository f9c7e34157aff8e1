// External memory port of the SoC (XMEM, soc_map.vh): the arbiter in front of the memory device. Five
// requesters share it, one transfer at a time, granted round-robin: the CPU (one 32-bit word per bus
// access; writes are posted: answered when granted, written after), the accelerator's program port (16
// bytes per request) and its three byte-wide DMA ports (one burst of up to 65535 bytes per request).
// A transfer goes to the memory device as (address, length, direction) and then moves byte by byte
// whenever the device offers a slot (o_mem_*/i_mem_* below). In simulation the device is
// sim/soc_psram_sim.v (a timed PSRAM model); on the board a QSPI PSRAM controller with the same ports
// takes its place (TODO, see README.md).
`default_nettype none

module soc_xmem #(
    parameter integer AW = 23  // log2 of the size in bytes
) (
    input  wire          i_clk,
    input  wire          i_rst,
    // CPU slave port (valid held until ready; ready pulses one cycle)
    input  wire          i_cvalid,
    input  wire [AW-1:0] i_caddr,
    input  wire [31:0]   i_cwdata,
    input  wire [3:0]    i_cwstrb,
    output reg           o_cready,
    output reg  [31:0]   o_crdata,
    // accelerator program port
    input  wire          i_preq_valid,
    output wire          o_preq_ready,
    input  wire [31:0]   i_preq_addr,
    output reg           o_prsp_valid,
    output reg  [127:0]  o_prsp_data,
    // accelerator DMA ports
    input  wire [2:0]    i_mreq_valid,
    output wire [2:0]    o_mreq_ready,
    input  wire [95:0]   i_mreq_addr,
    input  wire [47:0]   i_mreq_len,
    input  wire [2:0]    i_mreq_we,
    output wire [2:0]    o_mrvalid,
    output wire [23:0]   o_mrdata,
    input  wire [2:0]    i_mwvalid,
    output wire [2:0]    o_mwready,
    input  wire [23:0]   i_mwdata,
    input  wire [5:0]    i_mwmask,
    // abandon the accelerator's transfer and hold its requests off (core reset)
    input  wire          i_abort,
    output wire          o_accel_busy,  // serving an accelerator port this cycle
    output wire          o_accel_wait,  // an accelerator port requests but is not served
    // memory device: a transfer starts with o_mem_start (one cycle, with address, length > 0 and
    // direction); while it runs (i_mem_busy) the device raises i_mem_slot when it can move the next
    // byte (read: i_mem_rdata holds it), and o_mem_move says the byte moves in this cycle (a write's data
    // and nibble enables in o_mem_wdata / o_mem_wmask). o_mem_abort drops the running transfer.
    output wire          o_mem_start,
    output wire [AW-1:0] o_mem_addr,
    output wire [15:0]   o_mem_len,
    output wire          o_mem_we,
    output wire          o_mem_abort,
    input  wire          i_mem_busy,
    input  wire          i_mem_slot,
    input  wire [7:0]    i_mem_rdata,
    output wire          o_mem_move,
    output wire [7:0]    o_mem_wdata,
    output wire [1:0]    o_mem_wmask
);
  // requesters: 0 CPU, 1 program, 2..4 DMA ports 0..2
  reg [2:0]  r_owner;
  reg        r_we;
  reg [3:0]  r_idx;  // byte index inside a CPU word or a program word
  reg [2:0]  r_last;
  reg [31:0] r_cwdata;  // CPU write, posted
  reg [3:0]  r_cwstrb;

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

  wire w_accept = ~i_mem_busy & w_any;
  assign o_preq_ready = w_accept & (w_grant == 3'd1);
  assign o_mreq_ready = {3{w_accept}} & {w_grant == 3'd4, w_grant == 3'd3, w_grant == 3'd2};
  // an empty DMA row is accepted and needs no transfer
  assign o_mem_start = w_accept & (w_glen != 16'd0);
  assign o_mem_addr = w_gaddr[AW-1:0];
  assign o_mem_len = w_glen;
  assign o_mem_we = w_gwe;
  assign o_mem_abort = i_abort & i_mem_busy & (r_owner != 3'd0);

  wire w_dma = r_owner >= 3'd2;
  wire [1:0] w_port = r_owner[1:0] - 2'd2;
  wire w_slot = i_mem_busy & i_mem_slot & ~o_mem_abort;
  wire [2:0] w_dsel = {r_owner == 3'd4, r_owner == 3'd3, r_owner == 3'd2};
  assign o_mrvalid = {3{w_slot & w_dma & ~r_we}} & w_dsel;
  assign o_mwready = {3{w_slot & w_dma & r_we}} & w_dsel;
  assign o_mrdata = {3{i_mem_rdata}};
  wire [31:0] w_mwd = {8'd0, i_mwdata};
  wire [7:0] w_mwm = {2'd0, i_mwmask};
  wire [3:0] w_mwv = {1'b0, i_mwvalid};
  assign o_mem_move = w_slot & (~(w_dma & r_we) | w_mwv[w_port]);
  assign o_mem_wdata = w_dma ? w_mwd[8*w_port+:8] : r_cwdata[8*r_idx[1:0]+:8];
  assign o_mem_wmask = w_dma ? w_mwm[2*w_port+:2] : {2{r_cwstrb[r_idx[1:0]]}};

  always @(posedge i_clk) begin
    o_cready <= 1'b0;
    o_prsp_valid <= 1'b0;
    if (i_rst) begin
      r_owner <= 3'd0;
      r_last <= 3'd4;
    end else if (w_accept) begin
      r_last <= w_grant;
      r_owner <= w_grant;
      r_we <= w_gwe;
      r_idx <= 4'd0;
      r_cwdata <= i_cwdata;
      r_cwstrb <= i_cwstrb;
      if (w_grant == 3'd0 && w_gwe) o_cready <= 1'b1;
    end else if (o_mem_move) begin
      if (r_owner == 3'd0 && !r_we) begin
        o_crdata[8*r_idx[1:0]+:8] <= i_mem_rdata;
        if (r_idx == 4'd3) o_cready <= 1'b1;
      end else if (r_owner == 3'd1) begin
        o_prsp_data[8*r_idx+:8] <= i_mem_rdata;
        if (r_idx == 4'd15) o_prsp_valid <= 1'b1;
      end
      r_idx <= r_idx + 1'b1;
    end
  end

  assign o_accel_busy = i_mem_busy & (r_owner != 3'd0);
  assign o_accel_wait = |w_req[4:1] & ~(w_accept & (w_grant != 3'd0));
  wire w_unused = &{1'b0, i_caddr[1:0], w_gaddr[31:AW]};
endmodule
