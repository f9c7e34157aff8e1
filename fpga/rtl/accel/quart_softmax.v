// Integer softmax down one column of attention scores (docs/arithmetic.md §5, ISA SMAX):
//   mx = max_j s_j;  u_j = ((mx − s_j)·m + 2^(n−1)) >> n           (log2-domain distance, units 2⁻⁸)
//   e_j = (u_j >> 8) ≥ 16 ? 0 : EXP2[u_j & 255] >> (u_j >> 8)       (EXP2: a 256 × 16-bit ROM, one EBR)
//   r = ⌊(2⁴⁶ − 1) / Σ e_j⌋;  p_j = (e_j·r + 2³⁰) >> 31               (units 2⁻¹⁵)
// The caller streams the column three times (the scores stay in its accumulator buffer): pass 0 finds
// the max (one cycle per score), pass 1 sums the exponentials (MW + 3 cycles per score: a shift-add
// product over m's bits, the ROM read, the shift), div_start computes r (46 steps), pass 2 gives each
// probability (MW + 3 + EXPW cycles per score: e again, then a shift-add product over e's bits).
// Built for area: no DSPs (they belong to the matrix unit), one shift-add datapath per product.
`default_nettype none

module quart_softmax #(
    parameter integer MW = 16,  // m
    parameter integer SUMW = 29  // Σe: up to 8192 keys · 2^15
) (
    input wire i_clk,
    input wire i_rst,
    input wire [MW-1:0] i_m,
    input wire [5:0] i_n,

    input wire i_col_start,  // before pass 0 of a column: forget the max and the sum
    input wire i_valid,
    input wire [1:0] i_pass,
    input wire signed [31:0] i_s,
    output wire o_ready,

    input  wire i_div_start,  // after pass 1
    output wire o_div_busy,

    output reg o_out_valid,
    output reg [15:0] o_out_p
);
  localparam integer DW = 33;  // mx − s
  localparam integer UW = DW + MW + 1;  // (mx − s)·m + 2^(n−1)
  localparam integer EXPW = 16;
  localparam integer RW = 31;  // r < 2^31 since Σe ≥ EXP2[0] = 2^15

  reg [15:0] exp2_rom[0:255];
`include "quart_exp2_rom.vh"

  reg signed [31:0] mx;
  reg [SUMW-1:0] sum;

  // ---- per score: u by shift-add over m, e from the ROM, then (pass 2) e·r over e's bits ----
  localparam [2:0] S_IDLE = 3'd0, S_MUL = 3'd1, S_ROM = 3'd2, S_EXP = 3'd3, S_PMUL = 3'd4,
                   S_OUT = 3'd5;
  reg [2:0] st;
  reg pass2;
  reg [5:0] cnt;
  reg [UW-1:0] mc;  // mx − s, shifted left
  reg [MW-1:0] mp;  // m, shifted right
  reg [UW-1:0] macc;
  reg [UW-1:0] u;
  reg [15:0] rom_q;
  reg [RW+EXPW-1:0] pmc;  // r, shifted left
  reg [EXPW-1:0] pmp;  // e, shifted right
  reg [RW+EXPW:0] pacc;
  reg [RW-1:0] r;

  assign o_ready = st == S_IDLE && !o_div_busy;

  wire [DW-1:0] dist_mx = $unsigned({mx[31], mx}) - $unsigned({i_s[31], i_s});
  wire [UW-1:0] rnd = i_n == 6'd0 ? {UW{1'b0}} : {{(UW - 1) {1'b0}}, 1'b1} << (i_n - 6'd1);
  // u >> 8 ≥ 16 (u ≥ 4096): the exponential underflows to 0
  wire [UW-1:0] u_shifted = macc >> i_n;
  wire far = |u_shifted[UW-1:12];

  always @(posedge i_clk) rom_q <= exp2_rom[u[7:0]];

  always @(posedge i_clk) begin
    o_out_valid <= 1'b0;
    if (i_rst) begin
      st <= S_IDLE;
    end else begin
      if (i_col_start) begin
        mx <= 32'sh80000000;
        sum <= {SUMW{1'b0}};
      end
      case (st)
        S_IDLE:
        if (i_valid && o_ready) begin
          if (i_pass == 2'd0) begin
            if (i_s > mx) mx <= i_s;
          end else begin
            pass2 <= i_pass == 2'd2;
            mc <= {{(UW - DW) {1'b0}}, dist_mx};
            mp <= i_m;
            macc <= rnd;
            cnt <= MW[5:0];
            st <= S_MUL;
          end
        end
        S_MUL:
        if (cnt != 6'd0) begin
          if (mp[0]) macc <= macc + mc;
          mc <= mc << 1;
          mp <= mp >> 1;
          cnt <= cnt - 6'd1;
        end else begin
          u <= far ? {UW{1'b1}} : u_shifted;
          st <= S_ROM;
        end
        S_ROM: st <= S_EXP;  // the ROM's registered read
        S_EXP: begin
          if (!pass2) begin
            sum <= sum + {{(SUMW - EXPW) {1'b0}}, |u[UW-1:12] ? {EXPW{1'b0}} : rom_q >> u[11:8]};
            st <= S_IDLE;
          end else begin
            pmc <= {{EXPW{1'b0}}, r};
            pmp <= |u[UW-1:12] ? {EXPW{1'b0}} : rom_q >> u[11:8];
            pacc <= {{(RW + EXPW - 30) {1'b0}}, 1'b1, 30'd0};
            cnt <= EXPW[5:0];
            st <= S_PMUL;
          end
        end
        S_PMUL:
        if (cnt != 6'd0) begin
          if (pmp[0]) pacc <= pacc + {1'b0, pmc};
          pmc <= pmc << 1;
          pmp <= pmp >> 1;
          cnt <= cnt - 6'd1;
        end else st <= S_OUT;
        S_OUT: begin
          o_out_valid <= 1'b1;
          o_out_p <= pacc[31+15:31];
          st <= S_IDLE;
        end
        default: st <= S_IDLE;
      endcase
    end
  end

  // ---- r = ⌊(2^46 − 1) / Σe⌋: restoring division, one numerator bit (all ones) per step ----
  reg dbusy;
  reg [5:0] dcnt;
  reg [SUMW:0] rem;
  wire [SUMW+1:0] dshift = {rem, 1'b1};
  wire [SUMW+1:0] dtrial = dshift - {2'b00, sum};
  assign o_div_busy = dbusy;

  always @(posedge i_clk) begin
    if (i_rst) dbusy <= 1'b0;
    else if (!dbusy) begin
      if (i_div_start) begin
        dbusy <= 1'b1;
        dcnt <= 6'd46;
        rem <= {(SUMW + 1) {1'b0}};
        r <= {RW{1'b0}};
      end
    end else begin
      // quotient bits above r's width are 0 (Σe ≥ 2^15), so shifting them out loses nothing
      if (!dtrial[SUMW+1]) begin
        rem <= dtrial[SUMW:0];
        r <= {r[RW-2:0], 1'b1};
      end else begin
        rem <= dshift[SUMW:0];
        r <= {r[RW-2:0], 1'b0};
      end
      dcnt <= dcnt - 6'd1;
      if (dcnt == 6'd1) dbusy <= 1'b0;
    end
  end
endmodule
