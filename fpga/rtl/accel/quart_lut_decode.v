// Input decode (docs/arithmetic.md §1): LANES activation codes of one input channel per cycle to
// int8, one cycle of latency.
//   lut4: v = table[ch][q]        (per-channel 16-entry table)     padding: v = 0 (the zero code's entry)
//   lin8: v = q - 128                                               padding: v = z_ch (stored zero)
// Every lane has its own copy of the table memory (one EBR each, 2^AW x 8), written together through
// the broadcast write port, so all lanes read in the same cycle. Memory layout per lane (a window
// holds either lut4 tables or lin8 zeros, so both start at 0):
//   lut4 entries at {ch[AW-5:0], q}  (2^(AW-4) channels of 16 entries)
//   lin8 zeros   at ch[AW-1:0]       (2^AW channels)
`default_nettype none

module quart_lut_decode #(
    parameter integer LANES = 8,
    parameter integer AW = 9  // table address bits per lane (512 x 8 = one EBR)
) (
    input  wire               i_clk,
    // table write (broadcast to every lane)
    input  wire               i_we,
    input  wire [AW-1:0]      i_waddr,
    input  wire [7:0]         i_wdata,
    // decode request
    input  wire               i_lut4,   // 1: lut4 codes, 0: lin8 codes
    input  wire [AW-1:0]      i_ch,     // channel within the decode window
    input  wire [8*LANES-1:0] i_code,   // code of lane l at [8l+7:8l] (lut4 uses bits 3:0)
    input  wire [LANES-1:0]   i_pad,    // lane is an implicit-padding tap
    // decoded values, valid one cycle after the request
    output wire [8*LANES-1:0] o_v
);
  genvar l;
  generate
    for (l = 0; l < LANES; l = l + 1) begin : g_lane
      reg [7:0] r_mem[0:(1<<AW)-1];
      reg [7:0] r_rd;
      reg [1:0] r_sel;  // 0: table read, 1: lin8 code, 2: zero
      reg [7:0] r_lin;
      wire [7:0] w_q = i_code[8*l+7:8*l];
      wire w_pad = i_pad[l];
      wire [AW-1:0] w_raddr = i_lut4 ? {i_ch[AW-5:0], w_q[3:0]} : i_ch;
      always @(posedge i_clk) begin
        if (i_we) r_mem[i_waddr] <= i_wdata;
        r_rd <= r_mem[w_raddr];
        r_lin <= w_q ^ 8'h80;
        r_sel <= i_lut4 ? (w_pad ? 2'd2 : 2'd0) : (w_pad ? 2'd0 : 2'd1);
      end
      assign o_v[8*l+7:8*l] = r_sel == 2'd0 ? r_rd : r_sel == 2'd1 ? r_lin : 8'h00;
    end
  endgenerate
endmodule
