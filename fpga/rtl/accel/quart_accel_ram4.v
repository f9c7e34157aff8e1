// Byte-addressed buffer memory of the accelerator core: 2^AW bytes in four byte banks (address mod 4),
// each byte split in two nibble-enabled halves. A write puts up to 4 bytes (8 nibbles, i_wnib) at any
// byte address; a read returns the 4 bytes from any byte address (little-endian), one cycle later.
// NIB = 0: whole-byte writes only (byte enables on i_wnib's even bits), so a bank is one byte-wide
// memory, which a 512-byte bank fits in one EBR instead of two.
`default_nettype none

module quart_accel_ram4 #(
    parameter integer AW = 11,  // byte address bits (>= 3)
    parameter integer NIB = 1
) (
    input  wire          i_clk,
    input  wire          i_we,
    input  wire [AW-1:0] i_waddr,
    input  wire [31:0]   i_wdata,
    input  wire [7:0]    i_wnib,
    input  wire          i_re,
    input  wire [AW-1:0] i_raddr,
    output wire [31:0]   o_rdata
);
  wire [31:0] w_bank_q;
  reg  [1:0]  r_rot;
  always @(posedge i_clk) if (i_re) r_rot <= i_raddr[1:0];

  genvar b;
  generate
    for (b = 0; b < 4; b = b + 1) begin : g_bank
      // byte k of the access lands in this bank: k = (b - addr) mod 4
      localparam [1:0] LB = b;
      wire [1:0] w_wk = LB - i_waddr[1:0];
      wire [1:0] w_rk = LB - i_raddr[1:0];
      wire [AW-1:0] w_wa = i_waddr + {{(AW - 2) {1'b0}}, w_wk};
      wire [AW-1:0] w_ra = i_raddr + {{(AW - 2) {1'b0}}, w_rk};
      wire [7:0] w_wd = i_wdata[8*w_wk+:8];
      wire [1:0] w_wn = i_wnib[2*w_wk+:2];
      reg [7:0] r_q;
      if (NIB != 0) begin : g_nib
        reg [3:0] r_lo[0:(1<<(AW-2))-1];
        reg [3:0] r_hi[0:(1<<(AW-2))-1];
        always @(posedge i_clk) begin
          if (i_we && w_wn[0]) r_lo[w_wa[AW-1:2]] <= w_wd[3:0];
          if (i_we && w_wn[1]) r_hi[w_wa[AW-1:2]] <= w_wd[7:4];
          if (i_re) r_q <= {r_hi[w_ra[AW-1:2]], r_lo[w_ra[AW-1:2]]};
        end
      end else begin : g_byte
        reg [7:0] r_b[0:(1<<(AW-2))-1];
        always @(posedge i_clk) begin
          if (i_we && w_wn[0]) r_b[w_wa[AW-1:2]] <= w_wd;
          if (i_re) r_q <= r_b[w_ra[AW-1:2]];
        end
        wire w_unused_hi = &{1'b0, w_wn[1]};
      end
      assign w_bank_q[8*b+:8] = r_q;
      wire w_unused = &{1'b0, w_wa[1:0], w_ra[1:0]};
    end
  endgenerate

  // byte k of the result comes from bank (addr + k) mod 4
  wire [63:0] w_rot = {w_bank_q, w_bank_q} >> (8 * r_rot);
  assign o_rdata = w_rot[31:0];
  wire w_unused_rot = &{1'b0, w_rot[63:32]};
endmodule
