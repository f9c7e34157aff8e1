// Boot ROM in block RAM, initialised from a hex file (one 32-bit word per line) at elaboration.
// Simulations may load another image with +firmware=<hex>. Writes are acknowledged and ignored.
`default_nettype none

module soc_rom #(
    parameter integer WORDS = 2048,
    parameter INIT_FILE = ""
) (
    input  wire                     i_clk,
    input  wire                     i_valid,
    input  wire [$clog2(WORDS)-1:0] i_idx,
    output reg                      o_ready,
    output reg  [31:0]              o_rdata
);
  reg [31:0] r_mem[0:WORDS-1];

`ifdef SYNTHESIS
  initial if (INIT_FILE != "") $readmemh(INIT_FILE, r_mem);
`else
  reg [8*1024-1:0] r_file;
  initial begin
    if ($value$plusargs("firmware=%s", r_file)) $readmemh(r_file, r_mem);
    else if (INIT_FILE != "") $readmemh(INIT_FILE, r_mem);
    o_ready = 1'b0;
  end
`endif

  always @(posedge i_clk) begin
    o_ready <= i_valid & ~o_ready;
    o_rdata <= r_mem[i_idx];
  end
endmodule
