// Simple dual-port RAM of the accelerator core: DW-bit words, 2^AW entries, one write port and one
// registered read port (maps to EBR or SPRAM).
`default_nettype none

module quart_accel_bram #(
    parameter integer AW = 10,
    parameter integer DW = 8
) (
    input  wire          i_clk,
    input  wire          i_we,
    input  wire [AW-1:0] i_waddr,
    input  wire [DW-1:0] i_wdata,
    input  wire          i_re,
    input  wire [AW-1:0] i_raddr,
    output reg  [DW-1:0] o_rdata
);
  reg [DW-1:0] r_mem[0:(1<<AW)-1];
  always @(posedge i_clk) begin
    if (i_we) r_mem[i_waddr] <= i_wdata;
    if (i_re) o_rdata <= r_mem[i_raddr];
  end
endmodule
