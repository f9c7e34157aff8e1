// Exact fraction stepper of the accelerator core: holds v / den as a quotient Q and a remainder R
// (v = Q * den + R, 0 <= R < den) and updates them one operation per cycle, with no divider:
//   LOAD   Q = i_q, R = i_r
//   DBL    v = 2 v + i_bit    (shift one dividend bit in: a restoring division is DBL per bit)
//   ADD    v = v + (i_q * den + i_r)   (i_r < den: a step precomputed as a quotient and remainder)
// RESIZE's align-corners taps (docs/isa.md RCFG) walk o * (in - 1) / (out - 1) in steps of (in - 1)
// with it: the combinational dividers this replaces were ~2-3k LUT4 each.
// den = 0 leaves Q and R as they are for DBL and ADD (taps are 0 when out = 1).
`default_nettype none

module quart_accel_tapstep #(
    parameter integer QW = 20,  // quotient bits (wraps)
    parameter integer RW = 13   // den and remainder bits
) (
    input  wire          i_clk,
    input  wire [1:0]    i_op,   // 0 hold, 1 LOAD, 2 DBL, 3 ADD
    input  wire [RW-1:0] i_den,
    input  wire [QW-1:0] i_q,
    input  wire [RW-1:0] i_r,
    input  wire          i_bit,
    output reg  [QW-1:0] o_q,
    output reg  [RW-1:0] o_r
);
  // 2R + bit or R + i_r: below 2 den, so one conditional subtraction keeps R below den
  wire [RW:0] w_sum = (i_op == 2'd2) ? {o_r, i_bit} : {1'b0, o_r} + {1'b0, i_r};
  wire [RW+1:0] w_sub = {1'b0, w_sum} - {2'b00, i_den};
  wire w_c = !w_sub[RW+1];  // w_sum >= den
  wire w_live = (i_den != {RW{1'b0}});
  always @(posedge i_clk) begin
    case (i_op)
      2'd1: begin
        o_q <= i_q;
        o_r <= i_r;
      end
      2'd2:
      if (w_live) begin
        o_q <= {o_q[QW-2:0], 1'b0} + {{(QW - 1) {1'b0}}, w_c};
        o_r <= w_c ? w_sub[RW-1:0] : w_sum[RW-1:0];
      end
      2'd3:
      if (w_live) begin
        o_q <= o_q + i_q + {{(QW - 1) {1'b0}}, w_c};
        o_r <= w_c ? w_sub[RW-1:0] : w_sum[RW-1:0];
      end
      default: ;
    endcase
  end
endmodule
