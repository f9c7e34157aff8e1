// Synthesis-only harness (not part of the SoC): the whole accelerator core with every input taken from
// one shift register fed by a pin and every output XOR-folded to a pin, so that nextpnr can place and
// time the core on the UP5K's 48-pin package. The shift register (204 flip-flops) and the fold (~90
// LUT4) are the harness's, not the core's; in the SoC the core sits behind the bus (soc/soc_accel.v).
`default_nettype none

module quart_accel_core_top #(
    parameter integer ROWS = 4,
    parameter integer COLS = 8,
    parameter integer INP_AW = 14,
    parameter integer WGT_AW = 12,
    parameter integer TBL_AW = 11,
    parameter integer ACC_AW = 13,
    parameter integer OUT_AW = 13,
    parameter integer DEC_AW = 11,
    parameter integer N_DSP = 8,
    parameter integer QD = 8,
    parameter integer CAW = 9,
    parameter integer HAS_TRANSFORMER = 1
) (
    input  wire i_clk,
    input  wire i_rst,
    input  wire i_sin,
    output reg  o_sout
);
  localparam integer N_IN = 1 + 8 + 32 + 1 + 1 + 128 + 3 + 3 + 24 + 3;
  reg [N_IN-1:0] r_in;
  always @(posedge i_clk) r_in <= {r_in[N_IN-2:0], i_sin};

  wire [31:0] w_reg_rdata;
  wire w_done, w_irq, w_preq_valid;
  wire [31:0] w_preq_addr;
  wire [2:0] w_mreq_valid, w_mreq_we, w_mreq_first, w_mwvalid;
  wire [95:0] w_mreq_addr;
  wire [47:0] w_mreq_len;
  wire [5:0] w_mreq_seg, w_mwmask;
  wire [23:0] w_mwdata;
  quart_accel #(
      .ROWS(ROWS),
      .COLS(COLS),
      .INP_AW(INP_AW),
      .WGT_AW(WGT_AW),
      .TBL_AW(TBL_AW),
      .ACC_AW(ACC_AW),
      .OUT_AW(OUT_AW),
      .DEC_AW(DEC_AW),
      .N_DSP(N_DSP),
      .QD(QD),
      .CAW(CAW),
      .HAS_TRANSFORMER(HAS_TRANSFORMER)
  ) u_core (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_reg_we(r_in[0]),
      .i_reg_addr(r_in[8:1]),
      .i_reg_wdata(r_in[40:9]),
      .o_reg_rdata(w_reg_rdata),
      .o_done(w_done),
      .o_irq(w_irq),
      .o_preq_valid(w_preq_valid),
      .i_preq_ready(r_in[41]),
      .o_preq_addr(w_preq_addr),
      .i_prsp_valid(r_in[42]),
      .i_prsp_data(r_in[170:43]),
      .o_mreq_valid(w_mreq_valid),
      .i_mreq_ready(r_in[173:171]),
      .o_mreq_addr(w_mreq_addr),
      .o_mreq_len(w_mreq_len),
      .o_mreq_we(w_mreq_we),
      .o_mreq_first(w_mreq_first),
      .o_mreq_seg(w_mreq_seg),
      .i_mrvalid(r_in[176:174]),
      .i_mrdata(r_in[200:177]),
      .o_mwvalid(w_mwvalid),
      .i_mwready(r_in[203:201]),
      .o_mwdata(w_mwdata),
      .o_mwmask(w_mwmask)
  );
  always @(posedge i_clk)
    o_sout <= ^{w_reg_rdata, w_done, w_irq, w_preq_valid, w_preq_addr, w_mreq_valid, w_mreq_we, w_mreq_first,
                w_mwvalid, w_mreq_addr, w_mreq_len, w_mreq_seg, w_mwmask, w_mwdata};
endmodule
