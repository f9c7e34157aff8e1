// Synthesis-only harness (not part of the SoC): decode -> matrix unit -> output stage, the way the
// accelerator chains them, with every control and parameter input taken from one long shift register
// fed by a pin, and the results XOR-folded to a pin. It lets nextpnr place and time the three blocks on
// the UP5K (whose package has far fewer pins than the blocks have inputs); its shift register and
// XOR fold add flip-flops and a few LUTs that the accelerator will not have. USE_* select which blocks
// are present, so each can be placed and timed alone.
`default_nettype none

module quart_accel_synth_top #(
    parameter integer ROWS = 4,
    parameter integer COLS = 8,
    parameter integer N_DSP = 8,
    parameter integer USE_DEC = 1,  // 0: the array's activations come from the shift register
    parameter integer USE_ARR = 1,  // 0: the output stage's accumulator comes from the shift register
    parameter integer USE_OUT = 1   // 0: the array's accumulator is folded to the pin directly
) (
    input  wire i_clk,
    input  wire i_sin,
    output reg  o_sout
);
  localparam integer DEC_AW = 9;
  localparam integer N_IN = 1 + DEC_AW + 8 + 1 + DEC_AW + 8 * COLS + COLS        // decode
                          + 4 + 4 * ROWS + $clog2(ROWS) + $clog2(COLS)            // array
                          + 1 + 2 + 2 + 17 + 15 + 6 + 16 + 8                      // output stage
                          + 1 + 8 + 32;                                           // threshold table
  reg [N_IN-1:0] r_in;
  always @(posedge i_clk) r_in <= {r_in[N_IN-2:0], i_sin};

  // field extraction, in order
  localparam integer P_WE = 0;
  localparam integer P_WADDR = P_WE + 1;
  localparam integer P_WDATA = P_WADDR + DEC_AW;
  localparam integer P_LUT4 = P_WDATA + 8;
  localparam integer P_CH = P_LUT4 + 1;
  localparam integer P_CODE = P_CH + DEC_AW;
  localparam integer P_PAD = P_CODE + 8 * COLS;
  localparam integer P_FLAGS = P_PAD + COLS;
  localparam integer P_W = P_FLAGS + 4;
  localparam integer P_ROW = P_W + 4 * ROWS;
  localparam integer P_COL = P_ROW + $clog2(ROWS);
  localparam integer P_VALID = P_COL + $clog2(COLS);
  localparam integer P_MODE = P_VALID + 1;
  localparam integer P_ACT = P_MODE + 2;
  localparam integer P_ALPHA = P_ACT + 2;
  localparam integer P_MULT = P_ALPHA + 17;
  localparam integer P_SHIFT = P_MULT + 15;
  localparam integer P_ZERO = P_SHIFT + 6;
  localparam integer P_TAG = P_ZERO + 16;
  localparam integer P_TWE = P_TAG + 8;
  localparam integer P_TWADDR = P_TWE + 1;
  localparam integer P_TWDATA = P_TWADDR + 8;

  wire [8*COLS-1:0] w_v;
  generate
    if (USE_DEC != 0) begin : g_dec
      quart_lut_decode #(
          .LANES(COLS),
          .AW(DEC_AW)
      ) u_dec (
          .i_clk(i_clk),
          .i_we(r_in[P_WE]),
          .i_waddr(r_in[P_WADDR+:DEC_AW]),
          .i_wdata(r_in[P_WDATA+:8]),
          .i_lut4(r_in[P_LUT4]),
          .i_ch(r_in[P_CH+:DEC_AW]),
          .i_code(r_in[P_CODE+:8*COLS]),
          .i_pad(r_in[P_PAD+:COLS]),
          .o_v(w_v)
      );
    end else begin : g_no_dec
      assign w_v = r_in[P_CODE+:8*COLS];
    end
  endgenerate

  wire [31:0] w_acc;
  generate
    if (USE_ARR != 0) begin : g_arr
      quart_mac_array #(
          .ROWS(ROWS),
          .COLS(COLS),
          .N_DSP(N_DSP)
      ) u_arr (
          .i_clk(i_clk),
          .i_en(r_in[P_FLAGS]),
          .i_clr(r_in[P_FLAGS+1]),
          .i_w8(r_in[P_FLAGS+2]),
          .i_w(r_in[P_W+:4*ROWS]),
          .i_a(w_v),
          .i_rd_row(r_in[P_ROW+:$clog2(ROWS)]),
          .i_rd_col(r_in[P_COL+:$clog2(COLS)]),
          .o_acc(w_acc)
      );
    end else begin : g_no_arr
      assign w_acc = r_in[P_W+:32];
    end
  endgenerate

  wire w_valid;
  wire [31:0] w_q;
  generate
    if (USE_OUT != 0) begin : g_out
      // the caller's threshold table: 16 tags x 16 thresholds, registered read (two block RAMs)
      reg [31:0] r_thr[0:255];
      reg [31:0] r_thr_k;
      wire [3:0] w_thr_idx;
      wire [7:0] w_thr_tag;
      always @(posedge i_clk) begin
        if (r_in[P_TWE]) r_thr[r_in[P_TWADDR+:8]] <= r_in[P_TWDATA+:32];
        r_thr_k <= r_thr[{w_thr_tag[3:0], w_thr_idx}];
      end
      wire w_ready;
      wire [7:0] w_tag;
      quart_out_stage u_out (
          .i_clk(i_clk),
          .i_rst(1'b0),
          .i_valid(r_in[P_VALID]),
          .o_ready(w_ready),
          .i_acc(w_acc),
          .i_mode(r_in[P_MODE+:2]),
          .i_act(r_in[P_ACT+:2]),
          .i_alpha(r_in[P_ALPHA+:17]),
          .i_mult(r_in[P_MULT+:15]),
          .i_shift(r_in[P_SHIFT+:6]),
          .i_zero(r_in[P_ZERO+:16]),
          .i_tag(r_in[P_TAG+:8]),
          .o_thr_idx(w_thr_idx),
          .o_thr_tag(w_thr_tag),
          .i_thr_k(r_thr_k),
          .o_valid(w_valid),
          .o_q(w_q),
          .o_tag(w_tag)
      );
      wire w_unused_out = &{1'b0, w_thr_tag[7:4], w_ready, w_tag};
    end else begin : g_no_out
      assign w_valid = r_in[P_VALID];
      assign w_q = w_acc;
    end
  endgenerate

  always @(posedge i_clk) o_sout <= ^{w_valid, w_q};
endmodule
