// Input decode (docs/arithmetic.md §1): LANES activation codes of one input channel per cycle to
// int8, one cycle of latency.
//   lut4: v = table[ch][q]        (per-channel 16-entry table)     padding: v = 0 (the zero code's entry)
//   lin8: v = q - 128                                               padding: v = z_ch (stored zero)
// Every lane decodes the same channel in a cycle, so one memory holds the tables as 16-byte rows (a
// lut4 channel's whole table, or 16 lin8 zeros): one row read per cycle, then a 16:1 byte select per
// lane. That is 128 bits x 2^(AW-4) rows (8 EBR up to AW = 12) instead of a copy per lane. Byte
// address layout:
//   lut4 entries at {1'b0, ch[AW-6:0], q}  (2^(AW-5) channels of 16 entries)
//   lin8 zeros   at {1'b1, ch[AW-2:0]}     (2^(AW-1) channels)
`default_nettype none

module quart_lut_decode #(
    parameter integer LANES = 8,
    parameter integer AW = 9  // table address bits (bytes)
) (
    input  wire               i_clk,
    // table write (byte)
    input  wire               i_we,
    input  wire [AW-1:0]      i_waddr,
    input  wire [7:0]         i_wdata,
    // decode request
    input  wire               i_lut4,   // 1: lut4 codes, 0: lin8 codes
    input  wire [AW-2:0]      i_ch,     // channel within the decode window
    input  wire [8*LANES-1:0] i_code,   // code of lane l at [8l+7:8l] (lut4 uses bits 3:0)
    input  wire [LANES-1:0]   i_pad,    // lane is an implicit-padding tap
    // decoded values, valid one cycle after the request
    output wire [8*LANES-1:0] o_v
);
  localparam integer WW = AW - 4;
  reg [127:0] r_mem[0:(1<<WW)-1];
  reg [127:0] r_row;
  reg [8*LANES-1:0] r_code;
  reg [LANES-1:0] r_pad;
  reg r_lut4;
  reg [3:0] r_zsel;  // lin8: the channel's zero within its row
  wire [WW-1:0] w_raddr = i_lut4 ? {1'b0, i_ch[AW-6:0]} : {1'b1, i_ch[AW-2:4]};
  always @(posedge i_clk) begin
    if (i_we) r_mem[i_waddr[AW-1:4]][8*i_waddr[3:0]+:8] <= i_wdata;
    r_row <= r_mem[w_raddr];
    r_code <= i_code;
    r_pad <= i_pad;
    r_lut4 <= i_lut4;
    r_zsel <= i_ch[3:0];
  end
  wire [7:0] w_zero = r_row[8*r_zsel+:8];
  genvar l;
  generate
    for (l = 0; l < LANES; l = l + 1) begin : g_lane
      wire [7:0] w_q = r_code[8*l+:8];
      wire [7:0] w_ent = r_row[8*w_q[3:0]+:8];
      assign o_v[8*l+:8] = r_lut4 ? (r_pad[l] ? 8'h00 : w_ent) : (r_pad[l] ? w_zero : w_q ^ 8'h80);
    end
  endgenerate
endmodule
