// Compute unit of the accelerator core: the on-chip buffers and the matrix/vector datapath that runs
// the compute queue's CCFG, CONV, VCFG, VEC, RCFG, RESIZE, NORM and SMAX (docs/isa.md reference loops).
// NORM and SMAX run on quart_norm / quart_softmax (HAS_TRANSFORMER), one element at a time into the
// output-stage queue; SMAX into INP shares INP's write port with the load DMA (see README.md, Core).
//
// Buffers: INP is one copy in COLS byte-interleaved banks (byte a in bank a mod COLS): a tap reads the
// columns' codes in windows of COLS consecutive bytes, one window per cycle from the first column not
// yet read, so a pass on one input row at stride 1 (lut4: also 2) reads each tap in one cycle.
// WGT is replicated once per array row (one write port broadcast by the load DMA, one read port per
// row), so every cycle each row reads the weight of its own output channel. TBL, ACC and OUT are four-bank
// byte memories (32-bit reads/writes at any byte address, nibble write enables for 4-bit outputs).
//
// CONV: passes of ROWS output channels x COLS output pixels (flattened oh*ow); W8 passes are of one
// output channel (the array's W8 taps compute channel 0 only, on its DSP rows: N_DSP = COLS). Per
// pass the taps (c, ky, kx), one per cycle, are fetched with implicit im2col: per column
// iy = y*sy + ky*dy - pt, ix = x*sx + kx*dx - pl, out-of-tile taps flagged as padding;
// quart_lut_decode turns codes into int8 (lut4 tables / lin8 q-128 / the zero code for padding) and
// quart_mac_array accumulates. Grouped convolutions: the rows of a pass that belong to different
// groups take turns, each group's taps with the other rows' weights forced to 0. Then the
// accumulators drain, one address per cycle (W8: PE (1, c) then (0, c) per output), the sum 3 cycles
// after its address, + ACC when `accum`, either to ACC or, + bias, through the output stage into OUT.
// The decode tables of the tile's channels are copied from TBL into the decode block when they
// differ from the ones it holds (or TBL was written); the stage parameters (bias; requant M, n, zero)
// of a block's channels are read from TBL into registers when the output-channel block changes.
// Output stage: quart_out_stage takes one element at a time (THRESH 4 cycles, REQUANT 29 (+17
// LeakyReLU) with CONST_REQUANT, ACC32 1) behind a queue of SQ_D elements (sum + bias, requant
// parameters, tag = OUT line and threshold address); a drained / VEC / RESIZE element is issued only
// when a queue entry is free for it, so the stage paces the drain. The stage reads the thresholds
// from TBL itself (ptab + 60 ch + 4 k) while it holds elements; the next stage parameters are read
// once it is empty.
// VEC: one ACC element per cycle at most, through the queue and the stage. RESIZE: one output element
// every two cycles at most: four codes on four INP lanes (row a's with the issue, row b's in the next
// cycle), decoded, two lerps per axis.
`default_nettype none

module quart_accel_compute #(
    parameter integer ROWS = 4,
    parameter integer COLS = 8,
    parameter integer INP_AW = 14,
    parameter integer WGT_AW = 12,
    parameter integer TBL_AW = 11,
    parameter integer ACC_AW = 13,
    parameter integer OUT_AW = 13,
    parameter integer DEC_AW = 11,  // decode table bits per lane: 2^(DEC_AW-4) lut4 channels
    parameter integer N_DSP = 0,    // COLS: rows 0-1 in the DSPs (W8 needs them); 0: all-LUT, W4 only
    parameter integer SQ_D = 16,    // output-stage queue: elements drained ahead of the stage
    parameter integer HAS_TRANSFORMER = 1  // NORM and SMAX units (0: those instructions raise error 9)
) (
    input  wire              i_clk,
    input  wire              i_rst,
    input  wire              i_start,
    input  wire [127:0]      i_instr,
    output wire              o_busy,
    output reg               o_done,
    output reg               o_err,
    output reg  [3:0]        o_err_code,
    output reg  [47:0]       o_macs,
    output reg  [31:0]       o_vec_outputs,
    output reg  [31:0]       o_pass_cycles,  // cycles in CONV taps
    // buffer write ports (DMA)
    input  wire              i_inp_we,
    input  wire [INP_AW-1:0] i_inp_waddr,
    input  wire [7:0]        i_inp_wdata,
    input  wire              i_wgt_we,
    input  wire [WGT_AW-1:0] i_wgt_waddr,
    input  wire [7:0]        i_wgt_wdata,
    input  wire              i_tbl_we,
    input  wire [TBL_AW-1:0] i_tbl_waddr,
    input  wire [7:0]        i_tbl_wdata,
    input  wire              i_acc_we,
    input  wire [ACC_AW-1:0] i_acc_waddr,
    input  wire [7:0]        i_acc_wdata,
    // OUT read port (store DMA)
    input  wire              i_out_re,
    input  wire [OUT_AW-1:0] i_out_raddr,
    output wire [7:0]        o_out_rdata
);
`include "isa_defs.vh"

  localparam integer RW = $clog2(ROWS);
  localparam integer CW = $clog2(COLS);

  // ------------------------------------------------------------------ states
  localparam [4:0] C_IDLE = 5'd0, C_SETUP1 = 5'd1, C_SETUP2 = 5'd2, C_WIN = 5'd3, C_OCB = 5'd4,
                   C_PIX = 5'd6, C_TAP = 5'd7, C_FLUSH = 5'd8, C_DRAIN = 5'd9,
                   C_TAIL = 5'd10, V_PAR = 5'd11, V_RUN = 5'd12, R_CH = 5'd13, R_PAR = 5'd14,
                   R_ROW = 5'd15, R_PIX = 5'd16, C_ERR = 5'd17, C_NEXT = 5'd18,
                   R_DIV = 5'd19, R_YM = 5'd20,
                   N_SET1 = 5'd21, N_SET2 = 5'd22, N_PIX = 5'd23, N_STAT = 5'd24, N_WAIT = 5'd25,
                   N_PREP = 5'd26, N_NPAR = 5'd27, N_NWAIT = 5'd28,
                   S_SET1 = 5'd29, S_COL = 5'd30, S_PASS = 5'd31, S_DIV = 5'd5;
  localparam [2:0] K_CONV = 3'd0, K_VEC = 3'd1, K_RESIZE = 3'd2, K_NORM = 3'd3, K_SMAX = 3'd4;
  reg [4:0] r_state, r_after_win;
  reg [2:0] r_kind;
  assign o_busy = (r_state != C_IDLE);

  // ------------------------------------------------------------------ configuration registers
  reg c_w8;
  reg [1:0] c_ienc;
  reg [3:0] c_pt, c_pb, c_pl, c_pr;
  reg [4:0] c_kh, c_kw, c_sy, c_sx;
  reg [2:0] c_dy, c_dx;
  // activation operands (attention): weights transposed [ic][oc], in offset binary, one shared table
  reg c_wt, c_wofs, c_ishared;
  reg [11:0] c_og;
  reg [19:0] c_itab;
  reg [10:0] c_oc_n, c_oh_n, c_ow_n;  // counts
  reg [12:0] c_ic_n;
  reg [1:0] v_stage, v_act;
  reg v_bias;
  reg [17:0] v_alpha;
  reg [19:0] v_btab, v_ptab, v_ttab;
  reg [1:0] rc_ienc;
  reg [12:0] rc_in_h, rc_in_w;
  reg [13:0] rc_out_h, rc_out_w;
  reg [19:0] rc_itab;

  // instruction fields (CONV / VEC / RESIZE)
  reg i_fuse, i_accum;
  reg [19:0] i_inp, i_wgt, i_acc, i_dst, i_src;
  reg [11:0] i_ic0, i_oc0, i_gphase, i_c0, i_iy0;
  reg [12:0] i_y0;
  reg [12:0] i_c_n;
  reg [10:0] i_rows, i_ny, i_ih_n;
  reg [11:0] i_cols;

  // derived (buffer addresses wrap at their buffer's size, like the simulator's footprint-checked ones)
  localparam integer SW = 15;   // signed input coordinates (|in_h|, |in_w| < 2^14)
  localparam integer PXW = 21;  // pixels of a tile (oh_n * ow_n <= 2^20)
  localparam integer KTW = 19;  // taps of an output (ic_n * kh * kw < 2^19)
  localparam integer WIW = WGT_AW + 1;  // WGT element index (nibbles)
  reg signed [SW-1:0] d_in_h, d_in_w;
  reg [INP_AW-1:0] d_irb, d_chpitch, d_dyirb, d_syirb, d_ptirb, d_gpitch;
  reg [KTW-1:0] d_K;
  reg [PXW-1:0] d_P;
  reg [OUT_AW-1:0] d_orb, d_ochp;
  reg [5:0] d_ob;  // output element bits: 4, 8, 32

  // ------------------------------------------------------------------ buffers
  // INP banks: bank b reads the word of the window [w_win, w_win + COLS) that falls in it; a lane
  // read in this cycle (w_lane_rd) takes its byte from bank w_lane_addr mod COLS one cycle later, and
  // keeps it (r_lcode) until the other lanes of its tap have been read.
  localparam integer BAW = INP_AW - CW;
  reg [INP_AW-1:0] w_win;
  reg [COLS*INP_AW-1:0] w_lane_addr;
  reg [COLS-1:0] w_lane_rd, t1_srv;
  reg [COLS*CW-1:0] t1_lsel;
  reg [COLS*8-1:0] r_lcode;
  wire [BAW-1:0] w_win_w0 = w_win[INP_AW-1:CW];
  wire [BAW-1:0] w_win_w1 = w_win_w0 + {{(BAW - 1) {1'b0}}, 1'b1};
  // banks below the window's first byte read the next word
  wire [COLS-1:0] w_win_hi = ~({COLS{1'b1}} << w_win[CW-1:0]);
  wire [COLS*8-1:0] w_bank_q;
  reg [COLS*8-1:0] w_inp_q;
  // SMAX into INP shares the DMA's write port: its byte waits while the load DMA writes
  reg sx_pend;
  reg [INP_AW-1:0] sx_waddr;
  reg [7:0] sx_wdata;
  wire w_sx_we = sx_pend && !i_inp_we;
  wire w_inp_we = i_inp_we || w_sx_we;
  wire [INP_AW-1:0] w_inp_waddr = i_inp_we ? i_inp_waddr : sx_waddr;
  wire [7:0] w_inp_wdata = i_inp_we ? i_inp_wdata : sx_wdata;
  genvar gl;
  generate
    for (gl = 0; gl < COLS; gl = gl + 1) begin : g_inp
      localparam [CW-1:0] LB = gl;
      quart_accel_bram #(
          .AW(BAW),
          .DW(8)
      ) u_inp (
          .i_clk(i_clk),
          .i_we(w_inp_we && w_inp_waddr[CW-1:0] == LB),
          .i_waddr(w_inp_waddr[INP_AW-1:CW]),
          .i_wdata(w_inp_wdata),
          .i_re(1'b1),
          .i_raddr(w_win_hi[gl] ? w_win_w1 : w_win_w0),
          .o_rdata(w_bank_q[8*gl+:8])
      );
    end
  endgenerate
  integer u;
  always @* begin
    for (u = 0; u < COLS; u = u + 1)
      w_inp_q[8*u+:8] = t1_srv[u] ? w_bank_q[8*t1_lsel[CW*u+:CW]+:8] : r_lcode[8*u+:8];
  end
  always @(posedge i_clk) begin
    r_lcode <= w_inp_q;
    t1_srv <= w_lane_rd;
    for (u = 0; u < COLS; u = u + 1) t1_lsel[CW*u+:CW] <= w_lane_addr[INP_AW*u+:CW];
  end
  wire [ROWS*WGT_AW-1:0] w_wgt_raddr;
  wire [ROWS*8-1:0] w_wgt_q;
  generate
    for (gl = 0; gl < ROWS; gl = gl + 1) begin : g_wgt
      quart_accel_bram #(
          .AW(WGT_AW),
          .DW(8)
      ) u_wgt (
          .i_clk(i_clk),
          .i_we(i_wgt_we),
          .i_waddr(i_wgt_waddr),
          .i_wdata(i_wgt_wdata),
          .i_re(1'b1),
          .i_raddr(w_wgt_raddr[WGT_AW*gl+:WGT_AW]),
          .o_rdata(w_wgt_q[8*gl+:8])
      );
    end
  endgenerate

  reg [TBL_AW-1:0] r_tbl_raddr;
  wire [31:0] w_tbl_q;
  quart_accel_ram4 #(
      .AW(TBL_AW),
      .NIB(0)
  ) u_tbl (
      .i_clk(i_clk),
      .i_we(i_tbl_we),
      .i_waddr(i_tbl_waddr),
      .i_wdata({24'd0, i_tbl_wdata}),
      .i_wnib(8'b0000_0011),
      .i_re(1'b1),
      .i_raddr(r_tbl_raddr),
      .o_rdata(w_tbl_q)
  );

  reg r_acc_we;
  reg [ACC_AW-1:0] r_acc_waddr, r_acc_raddr;
  reg [31:0] r_acc_wdata;
  wire [31:0] w_acc_q;
  quart_accel_ram4 #(
      .AW(ACC_AW)
  ) u_acc (
      .i_clk(i_clk),
      .i_we(r_acc_we || i_acc_we),
      .i_waddr(r_acc_we ? r_acc_waddr : i_acc_waddr),
      .i_wdata(r_acc_we ? r_acc_wdata : {24'd0, i_acc_wdata}),
      .i_wnib(r_acc_we ? 8'hff : 8'h03),
      .i_re(1'b1),
      .i_raddr(r_acc_raddr),
      .o_rdata(w_acc_q)
  );

  reg r_out_we;
  reg [OUT_AW-1:0] r_out_waddr;
  reg [31:0] r_out_wdata;
  reg [7:0] r_out_wnib;
  reg r_out_tab;  // the code goes through the TABLE activation: TBL.u8[ttab + code], read meanwhile
  wire [31:0] w_out_q;
  quart_accel_ram4 #(
      .AW(OUT_AW)
  ) u_out (
      .i_clk(i_clk),
      .i_we(r_out_we),
      .i_waddr(r_out_waddr),
      .i_wdata(r_out_tab ? {24'd0, w_tbl_q[7:0]} : r_out_wdata),
      .i_wnib(r_out_wnib),
      .i_re(i_out_re),
      .i_raddr(i_out_raddr),
      .o_rdata(w_out_q)
  );
  assign o_out_rdata = w_out_q[7:0];
  wire w_unused_outq = &{1'b0, w_out_q[31:8]};

  // ------------------------------------------------------------------ decode, array, output stage
  reg r_dec_we;
  reg [DEC_AW-1:0] r_dec_waddr;
  reg [7:0] r_dec_wdata;
  reg r_dec_lut4;
  reg [DEC_AW-1:0] r_dec_ch;
  reg [8*COLS-1:0] r_dec_code;
  reg [COLS-1:0] r_dec_pad;
  wire [8*COLS-1:0] w_dec_v;
  quart_lut_decode #(
      .LANES(COLS),
      .AW(DEC_AW)
  ) u_dec (
      .i_clk(i_clk),
      .i_we(r_dec_we),
      .i_waddr(r_dec_waddr),
      .i_wdata(r_dec_wdata),
      .i_lut4(r_dec_lut4),
      .i_ch(r_dec_ch),
      .i_code(r_dec_code),
      .i_pad(r_dec_pad),
      .o_v(w_dec_v)
  );

  reg r_a_en, r_a_clr;
  reg [4*ROWS-1:0] r_a_w;
  reg [RW-1:0] r_rd_row;
  reg [CW-1:0] r_rd_col;
  wire [31:0] w_a_acc;
  quart_mac_array #(
      .ROWS(ROWS),
      .COLS(COLS),
      .N_DSP(N_DSP)
  ) u_array (
      .i_clk(i_clk),
      .i_en(r_a_en),
      .i_clr(r_a_clr),
      .i_w8(c_w8),
      .i_w(r_a_w),
      .i_a(w_dec_v),
      .i_rd_row(r_rd_row),
      .i_rd_col(r_rd_col),
      .o_acc(w_a_acc)
  );

  // per-row stage parameters (bias, requant M / n / zero) of the output-channel block
  reg [31:0] p_bias[0:ROWS-1];
  reg [14:0] p_m[0:ROWS-1];
  reg [5:0] p_n[0:ROWS-1];
  reg [15:0] p_z[0:ROWS-1];

  // Output-stage queue: elements (sum + bias, requant parameters, tag) between the drain pipeline
  // and the stage; the drain issues an element only when a queue entry is reserved for it (r_cred),
  // so the drain runs ahead of the stage by SQ_D elements. The tag carries the element's OUT line
  // and the TBL address of its thresholds (read by the stage through the TBL port).
  // tag: threshold address, odd nibble, destination line (OUT, or INP for SMAX into INP)
  localparam integer DA_W = INP_AW > OUT_AW ? INP_AW : OUT_AW;
  localparam integer TAG_W = TBL_AW + 1 + DA_W;
  localparam integer QW = $clog2(SQ_D);
  localparam integer QL = SQ_D - 1;
  localparam [QW-1:0] Q_LAST = QL[QW-1:0];
  localparam [QW:0] Q_DEPTH = SQ_D[QW:0];
  reg [31:0] f_acc[0:SQ_D-1];
  // An element's requant parameters are its row's: the parameters change only once every element has
  // left the stage (the parameter job waits for w_vq_empty), so the queue holds the row, not M / n / zero.
  reg [RW-1:0] f_row[0:SQ_D-1];
  reg [TAG_W-1:0] f_tag[0:SQ_D-1];
  reg [QW-1:0] r_fwp, r_frp;
  reg [QW:0] r_fcnt;
  reg [QW:0] r_cred;  // elements issued and not yet accepted by the stage
  reg [15:0] r_vq;    // elements issued and not yet written to OUT
  reg f_push;
  reg [31:0] f_push_acc;
  reg [RW-1:0] f_push_row;
  reg [TAG_W-1:0] f_push_tag;
  wire s_valid = (r_fcnt != {(QW + 1) {1'b0}});
  wire w_st_ready;
  wire w_st_pop = s_valid && w_st_ready;
  wire w_cred_ok = (r_cred < Q_DEPTH);
  wire w_vq_empty = (r_vq == 16'd0);
  wire w_st_valid;
  reg w_issue;  // an element enters the drain pipeline toward the stage (set by the FSM below)
  always @(posedge i_clk) begin
    if (f_push) begin
      f_acc[r_fwp] <= f_push_acc;
      f_row[r_fwp] <= f_push_row;
      f_tag[r_fwp] <= f_push_tag;
      r_fwp <= (r_fwp == Q_LAST) ? {QW{1'b0}} : r_fwp + 1'b1;
    end
    if (w_st_pop) r_frp <= (r_frp == Q_LAST) ? {QW{1'b0}} : r_frp + 1'b1;
    r_fcnt <= r_fcnt + {{QW{1'b0}}, f_push} - {{QW{1'b0}}, w_st_pop};
    r_cred <= r_cred + {{QW{1'b0}}, w_issue} - {{QW{1'b0}}, w_st_pop};
    r_vq <= r_vq + (w_issue ? 16'd1 : 16'd0) - (w_st_valid ? 16'd1 : 16'd0);
    if (i_rst) begin
      r_fwp <= {QW{1'b0}};
      r_frp <= {QW{1'b0}};
      r_fcnt <= {(QW + 1) {1'b0}};
      r_cred <= {(QW + 1) {1'b0}};
      r_vq <= 16'd0;
    end
  end

  wire [31:0] w_st_q;
  wire [TAG_W-1:0] w_st_tag;
  wire [3:0] w_thr_idx;
  wire [TAG_W-1:0] w_thr_tag;
  wire w_unused_thr_tag = &{1'b0, w_thr_tag[DA_W:0], w_st_tag[TAG_W-1:DA_W+1]};
  wire [1:0] w_st_mode = v_stage == STAGE_THRESH ? 2'd0 : v_stage == STAGE_REQUANT ? 2'd1 : 2'd2;
  wire w_alpha_big = v_alpha > 18'd65536;
  quart_out_stage #(
      .TAG_W(TAG_W),
      .CONST_REQUANT(1)
  ) u_stage (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_valid(s_valid),
      .o_ready(w_st_ready),
      .i_acc(f_acc[r_frp]),
      .i_mode(w_st_mode),
      .i_act(v_act),
      .i_alpha(v_alpha[16:0]),
      .i_mult(p_m[f_row[r_frp]]),
      .i_shift(p_n[f_row[r_frp]]),
      .i_zero(p_z[f_row[r_frp]]),
      .i_tag(f_tag[r_frp]),
      .o_thr_idx(w_thr_idx),
      .o_thr_tag(w_thr_tag),
      .i_thr_k(w_tbl_q),
      .o_valid(w_st_valid),
      .o_q(w_st_q),
      .o_tag(w_st_tag)
  );
  // the TBL address of the threshold the stage asks for
  wire [TBL_AW-1:0] w_thr_addr = w_thr_tag[TAG_W-1-:TBL_AW] + {{(TBL_AW - 6) {1'b0}}, w_thr_idx, 2'b00};
  // OUT line (odd nibble, address) of the result
  wire [OUT_AW:0] w_oline = {w_st_tag[DA_W], w_st_tag[OUT_AW-1:0]};
  // act TABLE (REQUANT only, whose stage never reads TBL): the result's code addresses TBL in the
  // cycle it leaves the stage, and the table byte replaces it in the OUT write one cycle later
  wire w_tab_mode = (v_stage == STAGE_REQUANT) && (v_act == ACT_TABLE);
  wire [TBL_AW-1:0] w_ttab_addr = v_ttab[TBL_AW-1:0] + {{(TBL_AW - 8) {1'b0}}, w_st_q[7:0]};
  always @(posedge i_clk) begin
    r_out_we <= w_st_valid && !(r_kind == K_SMAX && sm_dbuf);
    r_out_tab <= w_tab_mode;
    r_out_waddr <= w_oline[OUT_AW-1:0];
    if (d_ob == 6'd4) begin
      r_out_wdata <= {24'd0, w_st_q[3:0], w_st_q[3:0]};
      r_out_wnib <= w_oline[OUT_AW] ? 8'b0000_0010 : 8'b0000_0001;
    end else if (d_ob == 6'd8) begin
      r_out_wdata <= {24'd0, w_st_q[7:0]};
      r_out_wnib <= 8'b0000_0011;
    end else begin
      r_out_wdata <= w_st_q;
      r_out_wnib <= 8'hff;
    end
  end

  // SMAX into INP: the result's INP byte is read (lane 0) in the cycle it leaves the stage; the code
  // is merged into it (4-bit results: read-modify-write of the other nibble) and written one cycle
  // later, or as soon as the load DMA leaves the write port
  reg sm_dbuf;
  reg r_inp_rmw, r_inp_rmw_nib;
  reg [INP_AW-1:0] r_inp_rmw_addr;
  wire [INP_AW-1:0] w_st_iaddr = w_st_tag[INP_AW-1:0];
  always @(posedge i_clk) begin
    r_inp_rmw <= w_st_valid && r_kind == K_SMAX && sm_dbuf;
    r_inp_rmw_nib <= w_st_tag[DA_W];
    r_inp_rmw_addr <= w_st_iaddr;
    if (w_sx_we) sx_pend <= 1'b0;
    if (r_inp_rmw) begin
      sx_pend <= 1'b1;
      sx_waddr <= r_inp_rmw_addr;
      sx_wdata <= d_ob != 6'd4 ? (r_out_tab ? w_tbl_q[7:0] : r_out_wdata[7:0])
                : r_inp_rmw_nib ? {r_out_wdata[3:0], w_inp_q[3:0]} : {w_inp_q[7:4], r_out_wdata[3:0]};
    end
    if (i_rst) sx_pend <= 1'b0;
  end

  // ------------------------------------------------------------------ caches of tables
  reg r_win_valid;
  reg [1:0] r_win_ienc;
  reg [TBL_AW-1:0] r_win_src;
  reg [15:0] r_win_n;
  reg r_par_valid;
  reg [11:0] r_par_ch0;
  reg [RW:0] r_par_rows;
  // window copy job
  reg [TBL_AW-1:0] r_job_src;
  reg [15:0] r_job_n, r_job_i;
  reg [DEC_AW-1:0] r_job_dst;
  reg r_job_rd;  // a TBL read is in flight (byte for the decode window)
  reg [DEC_AW-1:0] r_job_wa;

  // ------------------------------------------------------------------ shared setup multiplier
  // One product per setup cycle (tile geometry, pitches); no multiplier runs per tap, pass or element.
  reg [13:0] w_ma, w_mb;
  wire [27:0] w_mp = w_ma * w_mb;

  // ------------------------------------------------------------------ CONV pass state
  reg [10:0] r_jb;        // first output channel of the block
  reg [PXW-1:0] r_p0;     // first output pixel of the pass
  reg [10:0] r_bx;  // pixel p0's column (its row is carried by b_iy0 / b_lrow)
  reg [RW:0] r_rv;        // valid rows of the pass
  reg [CW:0] r_cv;        // valid columns of the pass
  reg [12:0] r_grp[0:ROWS-1];
  reg [WIW-1:0] r_wbase[0:ROWS-1];
  reg [12:0] r_g, r_g_hi;
  reg [12:0] r_c;
  reg [12:0] r_t;  // tap index (WGT element offset) / VEC element index
  reg [INP_AW-1:0] r_chofs, r_kyirb;
  reg [4:0] r_ky, r_kx;
  reg [7:0] r_kyd, r_kxd;
  reg r_ph, r_first;
  reg signed [SW-1:0] r_liy0[0:COLS-1];
  reg signed [SW-1:0] r_lix0[0:COLS-1];
  reg [INP_AW-1:0] r_lrow[0:COLS-1];
  reg [COLS-1:0] r_lvalid;
  reg [10:0] r_dr;  // drain row / VEC row / RESIZE output row
  reg [13:0] r_dc;  // drain column / VEC column / RESIZE output column
  reg [3:0] r_cnt;
  // block state: group (quotient, remainder) of channel jb + gphase, its channel and INP offsets, weights
  reg [12:0] r_gq;
  reg [11:0] r_gr;
  reg [12:0] b_ch;
  reg [INP_AW-1:0] b_chofs;
  reg [WIW-1:0] b_wb;
  // lane 0 of the pass: im2col origin
  reg signed [SW-1:0] b_iy0, b_ix0;
  reg [INP_AW-1:0] b_lrow;
  // drain walk: OUT row / column of the lane, ACC pixel offset; channel bases; threshold address
  reg [OUT_AW-1:0] b_orow0, r_dorow, b_ochan, r_dochan;
  reg [10:0] b_ox0, r_dox;
  reg [ACC_AW-1:0] b_apix0, r_dapix, b_achan, r_dachan;
  reg [TBL_AW-1:0] b_thr, r_dthr, r_vthr;
  // parameter load job
  reg [RW:0] r_pj_row, r_pj_rows;
  reg [1:0] r_pj_k, r_pj_nw;
  reg [11:0] r_pj_ch0;
  reg r_pj_rd, r_pj_active;
  wire w_pj_done = !r_pj_active && !r_pj_rd;
  reg [RW-1:0] r_pj_rrow;
  reg [1:0] r_pj_rk;

  // lane columns of the pass (chain from r_bx) and the lanes' im2col origins
  reg [10:0] w_cx[0:COLS];
  reg signed [SW-1:0] w_ciy[0:COLS];
  reg signed [SW-1:0] w_cix[0:COLS];
  reg [INP_AW-1:0] w_crow[0:COLS];
  integer l;
  always @* begin
    w_cx[0] = r_bx;
    w_ciy[0] = b_iy0;
    w_cix[0] = b_ix0;
    w_crow[0] = b_lrow;
    for (l = 1; l <= COLS; l = l + 1) begin
      if (w_cx[l-1] + 11'd1 == c_ow_n) begin
        w_cx[l] = 11'd0;
        w_ciy[l] = w_ciy[l-1] + $signed({{(SW - 5) {1'b0}}, c_sy});
        w_cix[l] = -$signed({{(SW - 4) {1'b0}}, c_pl});
        w_crow[l] = w_crow[l-1] + d_syirb;
      end else begin
        w_cx[l] = w_cx[l-1] + 11'd1;
        w_ciy[l] = w_ciy[l-1];
        w_cix[l] = w_cix[l-1] + $signed({{(SW - 5) {1'b0}}, c_sx});
        w_crow[l] = w_crow[l-1];
      end
    end
  end

  // group of each row of the block (og != 0): consecutive channels, one (quotient, remainder) step each;
  // weight offsets (channel * K) likewise
  reg [12:0] w_gq[0:ROWS];
  reg [11:0] w_gr[0:ROWS];
  reg [WIW-1:0] w_wb[0:ROWS];
  always @* begin
    w_gq[0] = r_gq;
    w_gr[0] = r_gr;
    w_wb[0] = b_wb;
    for (l = 1; l <= ROWS; l = l + 1) begin
      if (w_gr[l-1] + 12'd1 == c_og) begin
        w_gq[l] = w_gq[l-1] + 13'd1;
        w_gr[l] = 12'd0;
      end else begin
        w_gq[l] = w_gq[l-1];
        w_gr[l] = w_gr[l-1] + 12'd1;
      end
      w_wb[l] = w_wb[l-1] + (c_wt ? {{(WIW - 1) {1'b0}}, 1'b1} : d_K[WIW-1:0]);
    end
  end
  // rows of an output-channel block: ROWS (W4), 1 (W8: a pass computes channel 0 only)
  wire [10:0] w_oc_left = c_oc_n - r_jb;
  wire [RW:0] w_ocb_rows = c_w8 ? {{RW{1'b0}}, 1'b1} : w_oc_left < ROWS[10:0] ? w_oc_left[RW:0] : ROWS[RW:0];
  wire [12:0] w_gq_next = w_gq[w_ocb_rows];
  // groups the block advance passes (<= ROWS; none when ungrouped)
  wire [2:0] w_gdelta = (c_og == 12'd0) ? 3'd0 : w_gq_next[2:0] - r_gq[2:0];
  // valid columns of the pass at r_p0
  wire [PXW-1:0] w_pleft = d_P - r_p0;
  wire [CW:0] r_cv_n = (w_pleft < COLS[PXW-1:0]) ? w_pleft[CW:0] : COLS[CW:0];

  // ------------------------------------------------------------------ tap address generation (T0)
  reg [INP_AW*COLS-1:0] w_tap_addr;
  reg [COLS-1:0] w_tap_pad, w_tap_nib;
  reg [WGT_AW*ROWS-1:0] w_wt_addr;
  reg [ROWS-1:0] w_wt_nib, w_wt_en;
  reg signed [SW-1:0] w_iy, w_ix;
  reg [INP_AW-1:0] w_ia;
  reg [WIW-1:0] w_widx;
  wire [INP_AW-1:0] w_tbase = i_inp[INP_AW-1:0] + r_chofs + r_kyirb;
  integer m;
  always @* begin
    for (m = 0; m < COLS; m = m + 1) begin
      w_iy = r_liy0[m] + $signed({{(SW - 8) {1'b0}}, r_kyd});
      w_ix = r_lix0[m] + $signed({{(SW - 8) {1'b0}}, r_kxd});
      w_ia = w_tbase + r_lrow[m] + (c_ienc == IENC_LUT4 ? w_ix[INP_AW:1] : w_ix[INP_AW-1:0]);
      w_tap_addr[INP_AW*m+:INP_AW] = w_ia;
      w_tap_nib[m] = w_ix[0];
      w_tap_pad[m] = !r_lvalid[m] || w_iy < 0 || w_iy >= d_in_h || w_ix < 0 || w_ix >= d_in_w;
    end
    for (m = 0; m < ROWS; m = m + 1) begin
      w_widx = r_wbase[m] + r_t[WIW-1:0];
      w_wt_addr[WGT_AW*m+:WGT_AW] = c_w8 ? i_wgt[WGT_AW-1:0] + w_widx[WGT_AW-1:0]
                                         : i_wgt[WGT_AW-1:0] + w_widx[WGT_AW:1];
      w_wt_nib[m] = w_widx[0];
      w_wt_en[m] = (m < r_rv) && (r_grp[m] == r_g);
    end
  end

  // ------------------------------------------------------------------ resize taps
  // taps(o, in, out) of docs/isa.md RCFG as 256 * o * (in - 1) + (out - 1) / 2 over out - 1: the
  // quotient's bits 19:8 are i0, bits 7:0 the fraction. x walks o = 0, 1, ... per row, y o = y0, y0 + 1,
  // ... per channel: each step adds 256 * (in - 1) (a quotient and remainder computed once per
  // instruction by shifting its bits in). y's first value is 256 * y0 * (in_h - 1) built by doubling
  // and adding over y0's bits. The CONV group count uses the y stepper as a plain divider.
  wire [12:0] w_rden_x = rc_out_w[12:0] - 13'd1;
  wire [12:0] w_rden_y = rc_out_h[12:0] - 13'd1;
  wire [11:0] w_ra_x = rc_in_w[11:0] - 12'd1;
  wire [11:0] w_ra_y = rc_in_h[11:0] - 12'd1;
  reg [1:0] r_tx_op, r_ty_op;
  reg [19:0] r_tx_iq, r_ty_iq;
  reg [12:0] r_tx_ir, r_ty_ir;
  reg r_tx_bit, r_ty_bit;
  wire [19:0] w_tx_q, w_ty_q;
  wire [12:0] w_tx_r, w_ty_r;
  reg [19:0] r_qa_x, r_qa_y, r_y0_q;
  reg [12:0] r_ra_x, r_ra_y, r_y0_r;
  reg [4:0] r_rbit;  // bit index of the setup's shift-in / double-and-add loops
  wire w_ty_conv = (r_kind == K_CONV);
  quart_accel_tapstep #(
      .QW(20),
      .RW(13)
  ) u_tx (
      .i_clk(i_clk),
      .i_op(r_tx_op),
      .i_den(w_rden_x),
      .i_q(r_tx_iq),
      .i_r(r_tx_ir),
      .i_bit(r_tx_bit),
      .o_q(w_tx_q),
      .o_r(w_tx_r)
  );
  quart_accel_tapstep #(
      .QW(20),
      .RW(13)
  ) u_ty (
      .i_clk(i_clk),
      .i_op(r_ty_op),
      .i_den(w_ty_conv ? {1'b0, c_og} : w_rden_y),
      .i_q(r_ty_iq),
      .i_r(r_ty_ir),
      .i_bit(r_ty_bit),
      .o_q(w_ty_q),
      .o_r(w_ty_r)
  );
  wire [11:0] w_rx0 = w_tx_q[19:8];
  wire [11:0] w_rx1 = (w_rx0 < w_ra_x) ? w_rx0 + 12'd1 : w_ra_x;
  wire [11:0] w_ry0 = w_ty_q[19:8];
  wire [11:0] w_ry1 = (w_ry0 < w_ra_y) ? w_ry0 + 12'd1 : w_ra_y;
  reg [INP_AW-1:0] r_rrowa, r_rrowb, r_rch;
  reg [7:0] r_rfy;
  reg [OUT_AW-1:0] r_rorow;
  wire w_rlut = (rc_ienc == IENC_LUT4);
  wire [16:0] w_rx0e = {5'd0, w_rx0};
  wire [16:0] w_rx1e = {5'd0, w_rx1};
  wire [INP_AW-1:0] w_rxa = w_rlut ? w_rx0e[INP_AW:1] : w_rx0e[INP_AW-1:0];
  wire [INP_AW-1:0] w_rxb = w_rlut ? w_rx1e[INP_AW:1] : w_rx1e[INP_AW-1:0];
  wire [INP_AW-1:0] w_rba = i_inp[INP_AW-1:0] + r_rrowa;
  wire [INP_AW-1:0] w_rbb = i_inp[INP_AW-1:0] + r_rrowb;
  wire [INP_AW-1:0] w_r_a0 = w_rba + w_rxa;
  wire [INP_AW-1:0] w_r_a1 = w_rba + w_rxb;
  wire [INP_AW-1:0] w_r_a2 = w_rbb + w_rxa;
  wire [INP_AW-1:0] w_r_a3 = w_rbb + w_rxb;
  wire w_rs_issue = (r_state == R_PIX) && !r_ph && w_cred_ok;
  // RESIZE reads row a's two codes (lanes 0, 1) with the issue and row b's (lanes 2, 3) in the cycle
  // after it, from the addresses kept here: the two rows never share a window.
  wire w_rs_rowb = (r_state == R_PIX) && r_ph;
  reg [INP_AW-1:0] r_ra2, r_ra3;
  always @(posedge i_clk) begin
    r_ra2 <= w_r_a2;
    r_ra3 <= w_r_a3;
  end

  // INP lanes: CONV taps, RESIZE's four codes on lanes 0..3, NORM's code on lanes 0 and 1, SMAX's on
  // lane 0; the window starts at the first lane still to read (CONV: r_srv holds the lanes of the tap
  // read in its earlier cycles)
  reg [COLS-1:0] r_srv, w_need;
  reg [INP_AW-1:0] w_la;
  always @* begin
    w_lane_addr = w_tap_addr;
    w_need = r_lvalid & ~r_srv;
    if (r_kind == K_NORM || r_kind == K_SMAX) begin
      w_lane_addr[0+:INP_AW] = r_kind == K_NORM ? w_naddr : w_st_iaddr;
      w_lane_addr[INP_AW+:INP_AW] = w_naddr;
      w_need = {COLS{1'b0}};
      w_need[0] = 1'b1;
      w_need[1] = r_kind == K_NORM;
    end
    if (r_kind == K_RESIZE) begin
      w_lane_addr[0+:INP_AW] = w_r_a0;
      w_lane_addr[INP_AW+:INP_AW] = w_r_a1;
      w_lane_addr[2*INP_AW+:INP_AW] = r_ra2;
      w_lane_addr[3*INP_AW+:INP_AW] = r_ra3;
      w_need = {COLS{1'b0}};
      w_need[0] = !w_rs_rowb;
      w_need[1] = !w_rs_rowb;
      w_need[2] = w_rs_rowb;
      w_need[3] = w_rs_rowb;
    end
    w_win = w_lane_addr[0+:INP_AW];
    for (u = COLS - 1; u >= 0; u = u - 1) if (w_need[u]) w_win = w_lane_addr[INP_AW*u+:INP_AW];
  end
  always @* begin
    // a byte of the window: in w_win's word at or after its first byte, or in the next word before it
    for (u = 0; u < COLS; u = u + 1) begin
      w_la = w_lane_addr[INP_AW*u+:INP_AW];
      w_lane_rd[u] = w_need[u] && (w_la[CW-1:0] >= w_win[CW-1:0] ? w_la[INP_AW-1:CW] == w_win_w0
                                                                 : w_la[INP_AW-1:CW] == w_win_w1);
    end
  end
  wire w_tap_done = &(r_srv | w_lane_rd | ~r_lvalid);
  assign w_wgt_raddr = w_wt_addr;

  // ------------------------------------------------------------------ tap pipeline (T1, T2)
  reg t1_valid, t1_first;
  reg [COLS-1:0] t1_pad, t1_nib;
  reg [ROWS-1:0] t1_wnib, t1_wen;
  reg [DEC_AW-1:0] t1_ch;
  wire w_tap_issue = (r_state == C_TAP) && w_tap_done;
  reg [12:0] r_ch;  // channel within the INP tile (g*ic_n + c)
  // resize pipeline (Q0: row b's codes are read, Q1: the four codes go to the decoder)
  reg q0_valid, q1_valid, q2_valid;
  reg [3:0] q0_nib, q1_nib;
  reg [7:0] q0_fx, q1_fx, q2_fx, q0_fy, q1_fy, q2_fy;
  reg [OUT_AW-1:0] q0_oaddr, q1_oaddr, q2_oaddr;
  reg q0_onib, q1_onib, q2_onib;
  reg [TBL_AW-1:0] q0_thr, q1_thr, q2_thr;
  reg [DEC_AW-1:0] q0_ch, q1_ch;
  wire [TAG_W-1:0] q2_tag = {q2_thr, q2_onib, {(DA_W - OUT_AW) {1'b0}}, q2_oaddr};
  // OUT byte offset of element x in a row of 4-, 8- or 32-bit elements
  function automatic [OUT_AW-1:0] ocol(input [13:0] x, input [5:0] ob);
    begin
      ocol = ob == 6'd4 ? x[OUT_AW:1] : ob == 6'd8 ? x[OUT_AW-1:0] : {x[OUT_AW-3:0], 2'b00};
    end
  endfunction
  always @(posedge i_clk) begin
    t1_valid <= w_tap_issue;
    t1_first <= r_first;
    t1_pad <= w_tap_pad;
    t1_nib <= w_tap_nib;
    t1_wnib <= w_wt_nib;
    t1_wen <= w_wt_en;
    t1_ch <= c_ishared ? {DEC_AW{1'b0}} : r_ch[DEC_AW-1:0];
    // resize stage Q0: row a's codes are read, row b's are being read
    q0_valid <= w_rs_issue;
    q0_nib <= {w_rx1[0], w_rx0[0], w_rx1[0], w_rx0[0]};
    q0_fx <= w_tx_q[7:0];
    q0_fy <= r_rfy;
    q0_oaddr <= r_rorow + ocol(r_dc, d_ob);
    q0_onib <= r_dc[0];
    q0_thr <= r_vthr;
    q0_ch <= r_c[DEC_AW-1:0];
    q1_valid <= q0_valid;
    q1_nib <= q0_nib;
    q1_fx <= q0_fx;
    q1_fy <= q0_fy;
    q1_oaddr <= q0_oaddr;
    q1_onib <= q0_onib;
    q1_thr <= q0_thr;
    q1_ch <= q0_ch;
    q2_valid <= q1_valid;
    q2_fx <= q1_fx;
    q2_fy <= q1_fy;
    q2_oaddr <= q1_oaddr;
    q2_onib <= q1_onib;
    q2_thr <= q1_thr;
  end

  // T1: codes to the decoder (request this cycle, decoded values next cycle, with the array inputs)
  integer n;
  always @* begin
    r_dec_lut4 = (r_kind == K_RESIZE) ? w_rlut : (r_kind == K_NORM) ? (n_ienc == IENC_LUT4) : (c_ienc == IENC_LUT4);
    r_dec_ch = (r_kind == K_RESIZE) ? q1_ch : (r_kind == K_NORM) ? n1_ch : t1_ch;
    for (n = 0; n < COLS; n = n + 1) begin
      if (r_kind == K_NORM) begin
        // lane 0 the code, lane 1 the channel's pad value (lin8: the stored zero; lut4: 0)
        r_dec_code[8*n+:8] = (n_ienc == IENC_LUT4) ? {4'd0, n1_nib ? w_inp_q[8*n+4+:4] : w_inp_q[8*n+:4]}
                                                   : w_inp_q[8*n+:8];
        r_dec_pad[n] = n == 1;
      end else if (r_kind == K_RESIZE) begin
        r_dec_code[8*n+:8] = (w_rlut && n < 4) ? {4'd0, q1_nib[n%4] ? w_inp_q[8*n+4+:4] : w_inp_q[8*n+:4]}
                                               : w_inp_q[8*n+:8];
        r_dec_pad[n] = 1'b0;
      end else begin
        r_dec_code[8*n+:8] = (c_ienc == IENC_LUT4)
            ? {4'd0, t1_nib[n] ? w_inp_q[8*n+4+:4] : w_inp_q[8*n+:4]} : w_inp_q[8*n+:8];
        r_dec_pad[n] = t1_pad[n];
      end
    end
  end
  always @(posedge i_clk) begin
    r_a_en <= t1_valid;
    r_a_clr <= t1_valid && t1_first;
    // W8: the byte of row 0 (the pass's one output channel) in i_w[7:0]
    for (n = 0; n < ROWS; n = n + 1)
      // offset binary (wofs): code - 8 (W4) or - 128 (W8) is the code with its top bit flipped
      if (c_w8) r_a_w[4*n+:4] <= (n < 2 && t1_wen[0]) ? w_wgt_q[4*n+:4] ^ {c_wofs && n == 1, 3'd0} : 4'd0;
      else r_a_w[4*n+:4] <= !t1_wen[n] ? 4'd0 : (t1_wnib[n] ? w_wgt_q[8*n+4+:4] : w_wgt_q[8*n+:4]) ^ {c_wofs, 3'd0};
  end

  // resize Q2: decoded values, bilinear in the decoded domain. a (256 - f) + b f = 256 a + f (b - a):
  // one product per lerp, of the difference by the 8-bit weight
  wire signed [8:0] w_v0 = $signed({w_dec_v[7], w_dec_v[7:0]});
  wire signed [8:0] w_v1 = $signed({w_dec_v[15], w_dec_v[15:8]});
  wire signed [8:0] w_v2 = $signed({w_dec_v[23], w_dec_v[23:16]});
  wire signed [8:0] w_v3 = $signed({w_dec_v[31], w_dec_v[31:24]});
  wire signed [8:0] w_fx = $signed({1'b0, q2_fx});
  wire signed [8:0] w_fy = $signed({1'b0, q2_fy});
  wire signed [8:0] w_dtop = w_v1 - w_v0;
  wire signed [8:0] w_dbot = w_v3 - w_v2;
  wire signed [17:0] w_top = $signed({w_v0, 8'd0}) + w_dtop * w_fx;
  wire signed [17:0] w_bot = $signed({w_v2, 8'd0}) + w_dbot * w_fx;
  wire signed [17:0] w_dv = w_bot - w_top;
  wire signed [27:0] w_rsum = $signed({{2{w_top[17]}}, w_top, 8'd0}) + w_dv * w_fy;

  // ------------------------------------------------------------------ NORM and SMAX (transformer units)
  // NORM: per pixel, the statistics pass reads the c_n codes (INP lane 0, one per cycle), decoded
  // (lin8: lane 1 decodes the channel's pad value, the stored zero subtracted), into quart_norm; then
  // its per-pixel setup; then per channel the stage parameters, the code again, the normalized value
  // (quart_norm, 11 cycles) into the output-stage queue, written before the next channel's parameters
  // are read (the stage owns the TBL port while it holds elements).
  // SMAX: per column, three passes over the scores in ACC (quart_softmax): max (2 cycles per score:
  // the ACC read, then the unit), Σe, the divider, then each probability into the stage queue.
  reg [1:0] n_ienc;
  reg [19:0] n_eps;
  reg [12:0] n_cn;   // NORM c_n / SMAX c_n (keys) - 1 ... counts
  reg [13:0] s_cn;
  reg [10:0] n_rows;
  reg [11:0] n_cols;
  reg [15:0] s_m;
  reg [5:0] s_n;
  reg [12:0] n_c;    // channel / key
  reg [10:0] n_r;
  reg [11:0] n_x;
  reg [INP_AW-1:0] n_rowa, n_cha;
  reg [DA_W-1:0] n_orow, n_ocha, n_oaddr;
  reg [ACC_AW-1:0] s_scol, s_saddr, s_spitch;
  reg [TAG_W-1:0] n_tag;
  reg n_issue, n_is_norm;  // an INP read of a NORM value (set by the FSM)
  reg n1_valid, n1_first, n1_norm, n1_nib, n2_valid, n2_first, n2_norm;
  reg [DEC_AW-1:0] n1_ch;
  reg n_prep;
  reg [1:0] s_pass;
  reg s_issue, s_colstart, s_divstart, s1_valid, s_done;
  reg [19:0] n_itab;
  reg [1:0] s1_pass;
  wire [16:0] w_nx17 = {5'd0, n_x};
  wire [16:0] w_ncols17 = {5'd0, n_cols};
  wire [INP_AW-1:0] w_nxoff = n_ienc == IENC_LUT4 ? w_nx17[INP_AW:1] : w_nx17[INP_AW-1:0];
  wire [INP_AW-1:0] w_naddr = i_inp[INP_AW-1:0] + n_cha + n_rowa + w_nxoff;
  wire signed [8:0] w_nv = $signed({w_dec_v[7], w_dec_v[7:0]}) - $signed({w_dec_v[15], w_dec_v[15:8]});
  wire w_np_busy, w_nready, w_nout;
  wire [31:0] w_na;
  wire w_sm_ready, w_sm_div_busy, w_sm_out;
  wire [15:0] w_sm_p;
  generate
    if (HAS_TRANSFORMER != 0) begin : g_tf
      quart_norm #(
          .VW(9),
          .CW(13),
          .EW(20)
      ) u_norm (
          .i_clk(i_clk),
          .i_rst(i_rst),
          .i_c_n(n_cn),
          .i_eps(n_eps),
          .i_stat_valid(n2_valid && !n2_norm),
          .i_stat_first(n2_first),
          .i_stat_v(w_nv),
          .i_prep_start(n_prep),
          .o_prep_busy(w_np_busy),
          .i_norm_valid(n2_valid && n2_norm),
          .o_norm_ready(w_nready),
          .i_norm_v(w_nv),
          .o_out_valid(w_nout),
          .o_out_a(w_na)
      );
      quart_softmax #(
          .MW(16),
          .SUMW(29)
      ) u_smax (
          .i_clk(i_clk),
          .i_rst(i_rst),
          .i_m(s_m),
          .i_n(s_n),
          .i_col_start(s_colstart),
          .i_valid(s1_valid),
          .i_pass(s1_pass),
          .i_s(w_acc_q),
          .o_ready(w_sm_ready),
          .i_div_start(s_divstart),
          .o_div_busy(w_sm_div_busy),
          .o_out_valid(w_sm_out),
          .o_out_p(w_sm_p)
      );
    end else begin : g_no_tf
      assign w_np_busy = 1'b0;
      assign w_nready = 1'b1;
      assign w_nout = 1'b0;
      assign w_na = 32'd0;
      assign w_sm_ready = 1'b1;
      assign w_sm_div_busy = 1'b0;
      assign w_sm_out = 1'b0;
      assign w_sm_p = 16'd0;
      wire w_unused_tf = &{1'b0, n_eps, s_m, s_n, s_colstart, s_divstart, s1_pass, n_prep, w_nv, n2_first, n2_norm};
    end
  endgenerate
  always @(posedge i_clk) begin
    n1_valid <= n_issue;
    n1_first <= n_c == 13'd0;
    n1_norm <= n_is_norm;
    n1_nib <= n_x[0];
    n1_ch <= n_c[DEC_AW-1:0];
    n2_valid <= n1_valid;
    n2_first <= n1_first;
    n2_norm <= n1_norm;
    s1_valid <= s_issue;
    s1_pass <= s_pass;
    if (i_rst) begin
      n1_valid <= 1'b0;
      n2_valid <= 1'b0;
      s1_valid <= 1'b0;
    end
  end

  // ------------------------------------------------------------------ drain pipeline (D1..D3)
  // D0: the array address (and, for VEC, the ACC element) is issued; D3: the array sum is on w_a_acc
  // (3 cycles after its address) and the ACC word on w_acc_q (read at D2); the sum goes to ACC
  // (unfused CONV) or, with its bias, into the output-stage queue.
  reg d1_valid, d2_valid, d3_valid;
  reg d1_vec, d2_vec, d3_vec;  // VEC element (ACC read only)
  reg [RW-1:0] d1_row, d2_row, d3_row;
  reg [ACC_AW-1:0] d1_aaddr, d2_aaddr, d3_aaddr;
  reg [TAG_W-1:0] d1_tag, d2_tag, d3_tag;
  wire [31:0] w_d3_sum = (d3_vec ? 32'd0 : w_a_acc) + ((i_accum || d3_vec) ? w_acc_q : 32'd0);

  always @(posedge i_clk) begin
    f_push <= 1'b0;
    r_acc_we <= 1'b0;
    if (d3_valid) begin
      if (d3_vec || i_fuse) begin
        f_push <= 1'b1;
        f_push_acc <= w_d3_sum + p_bias[d3_row];
        f_push_row <= d3_row;
        f_push_tag <= d3_tag;
      end else begin
        r_acc_we <= 1'b1;
        r_acc_waddr <= d3_aaddr;
        r_acc_wdata <= w_d3_sum;
      end
    end else if (q2_valid) begin
      f_push <= 1'b1;
      f_push_acc <= {{4{w_rsum[27]}}, w_rsum} + p_bias[0];
      f_push_row <= {RW{1'b0}};
      f_push_tag <= q2_tag;
    end else if (w_nout || w_sm_out) begin
      f_push <= 1'b1;
      f_push_acc <= (w_nout ? w_na : {16'd0, w_sm_p}) + p_bias[0];
      f_push_row <= {RW{1'b0}};
      f_push_tag <= n_tag;
    end
  end

  // drain issue (D0) signals, computed in the FSM below
  reg d0_valid, d0_vec;
  reg [RW-1:0] d0_row;
  reg [ACC_AW-1:0] d0_aaddr;
  reg [OUT_AW-1:0] d0_oaddr;
  reg d0_onib;
  reg [TBL_AW-1:0] d0_thr;
  always @(posedge i_clk) begin
    d1_valid <= d0_valid;
    d1_vec <= d0_vec;
    d1_row <= d0_row;
    d1_aaddr <= d0_aaddr;
    d1_tag <= {d0_thr, d0_onib, {(DA_W - OUT_AW) {1'b0}}, d0_oaddr};
    d2_valid <= d1_valid;
    d2_vec <= d1_vec;
    d2_row <= d1_row;
    d2_aaddr <= d1_aaddr;
    d2_tag <= d1_tag;
    d3_valid <= d2_valid;
    d3_vec <= d2_vec;
    d3_row <= d2_row;
    d3_aaddr <= d2_aaddr;
    d3_tag <= d2_tag;
    if (i_rst) begin
      d1_valid <= 1'b0;
      d2_valid <= 1'b0;
      d3_valid <= 1'b0;
    end
  end
  always @* r_acc_raddr = (r_kind == K_SMAX) ? s_saddr : d2_aaddr;

  // CONV drain element (r_dr, r_dc): channel jb + r_dr, the pixel of lane r_dc, walked in drain order
  wire w_dwrap = (r_dox + 11'd1 == c_ow_n);
  wire [OUT_AW-1:0] w_dorow_n = w_dwrap ? r_dorow + d_orb : r_dorow;
  wire [10:0] w_dox_n = w_dwrap ? 11'd0 : r_dox + 11'd1;
  wire [ACC_AW-1:0] w_dapix_n = r_dapix + {{(ACC_AW - 3) {1'b0}}, 3'd4};
  wire [OUT_AW-1:0] w_dout = i_dst[OUT_AW-1:0] + r_dochan + r_dorow + ocol({3'd0, r_dox}, d_ob);
  wire [ACC_AW-1:0] w_dacc = i_acc[ACC_AW-1:0] + r_dachan + r_dapix;
  // VEC element (r_c = channel j, r_dr = row, r_dc = column); r_t = flat element index
  wire [ACC_AW-1:0] w_vacc = i_src[ACC_AW-1:0] + {r_t[ACC_AW-3:0], 2'b00};
  wire [OUT_AW-1:0] w_vout = r_rorow + ocol(r_dc, d_ob);

  // CONV drain: W4 one address per element; W8 two, (1, c) then (0, c) (r_ph), the element with the
  // second. A fused element waits for a queue entry (checked at its first address).
  wire w_drain_go = (r_state == C_DRAIN) && ((c_w8 && r_ph) || !i_fuse || w_cred_ok);
  wire w_vec_go = (r_state == V_RUN) && w_cred_ok;
  always @* begin
    d0_valid = 1'b0;
    d0_vec = 1'b0;
    d0_row = c_w8 ? {RW{1'b0}} : r_dr[RW-1:0];
    d0_aaddr = w_dacc;
    d0_oaddr = w_dout;
    d0_onib = r_dox[0];
    d0_thr = r_dthr;
    r_rd_row = c_w8 ? (r_ph ? {RW{1'b0}} : {{(RW - 1) {1'b0}}, 1'b1}) : r_dr[RW-1:0];
    r_rd_col = r_dc[CW-1:0];
    if (w_drain_go && (!c_w8 || r_ph)) d0_valid = 1'b1;
    if (w_vec_go) begin
      d0_valid = 1'b1;
      d0_vec = 1'b1;
      d0_row = {RW{1'b0}};
      d0_aaddr = w_vacc;
      d0_oaddr = w_vout;
      d0_onib = r_dc[0];
      d0_thr = r_vthr;
    end
    w_issue = (d0_valid && (d0_vec || i_fuse)) || w_rs_issue || (n_issue && n_is_norm) || (s_issue && s_pass == 2'd2);
  end

  // NORM without per-channel stage parameters (thresholds come with the tag, no bias): no parameter job
  wire w_nfast = v_stage != STAGE_REQUANT && !v_bias;
  // NORM at REQUANT (no TABLE): the stage never reads TBL, and it captures an element's parameters
  // when it takes the element, so the next channel's parameters load as soon as every issued value
  // has been taken (r_cred = 0), while the stage still works on it
  wire w_nearly = r_kind == K_NORM && v_stage == STAGE_REQUANT && !w_tab_mode;
  wire w_nstream = w_nfast || w_nearly;

  // ------------------------------------------------------------------ TBL reads (window, params)
  reg [TBL_AW-1:0] w_pj_addr, w_pj_ch;
  always @* begin
    w_pj_ch = r_pj_ch0[TBL_AW-1:0] + {{(TBL_AW - RW - 1) {1'b0}}, r_pj_row};
    if (r_pj_k == 2'd0) w_pj_addr = v_btab[TBL_AW-1:0] + {w_pj_ch[TBL_AW-3:0], 2'b00};
    else w_pj_addr = v_ptab[TBL_AW-1:0] + {w_pj_ch[TBL_AW-4:0], 3'b000} + {{(TBL_AW - 4) {1'b0}}, r_pj_k - 2'd1, 2'b00};
    // the window copy runs only with the stage idle; the stage has the port while it has elements,
    // and the parameter job waits for that (w_vq_empty)
    r_tbl_raddr = (r_state == C_WIN) ? r_job_src + r_job_i[TBL_AW-1:0]
                : (!w_vq_empty && !w_nearly) ? (w_tab_mode ? w_ttab_addr : w_thr_addr) : w_pj_addr;
  end

  // ------------------------------------------------------------------ FSM
  wire [4:0] w_op = i_instr[4:0];
  wire [1:0] w_win_ienc = r_kind == K_RESIZE ? rc_ienc : r_kind == K_NORM ? n_ienc : c_ienc;
  // NORM / SMAX destination line of element x (4-, 8- or 32-bit elements), at the destination's width
  wire [DA_W-1:0] w_nxcol = d_ob == 6'd4 ? w_nx17[DA_W:1] : d_ob == 6'd8 ? w_nx17[DA_W-1:0] : {w_nx17[DA_W-3:0], 2'b00};
  wire [DA_W-1:0] w_socol = {{(DA_W - OUT_AW) {1'b0}}, i_dst[OUT_AW-1:0]} + w_nxcol;
  wire [DA_W-1:0] w_sdst = sm_dbuf ? {{(DA_W - INP_AW) {1'b0}}, i_dst[INP_AW-1:0]}
                                   : {{(DA_W - OUT_AW) {1'b0}}, i_dst[OUT_AW-1:0]};
  always @* begin
    n_issue = (r_state == N_STAT)
              || (r_state == N_NPAR && w_pj_done && w_cred_ok && w_nready && !n1_valid && !n2_valid);
    n_is_norm = (r_state == N_NPAR);
    // pass 0 streams a score per cycle; passes 1 and 2 wait for the unit; a probability waits for a
    // queue entry (into INP: for the previous one to be written, its RMW has one register)
    s_issue = (r_state == S_PASS) && !s_done
              && (s_pass == 2'd0 || (w_sm_ready && !s1_valid
                  && (s_pass != 2'd2 || (sm_dbuf ? (w_vq_empty && !r_inp_rmw && !sx_pend) : w_cred_ok))));
  end
  // threshold table of channel ch: ptab + 60 ch
  localparam [TBL_AW-1:0] THR_STEP = 60;
  function automatic [TBL_AW-1:0] thr_of(input [TBL_AW-3:0] ch);
    begin
      thr_of = v_ptab[TBL_AW-1:0] + {ch[TBL_AW-7:0], 6'd0} - {ch[TBL_AW-3:0], 2'b00};
    end
  endfunction
  // CONV group count: (oc_n - 1 + gphase) / og, shifted into the y stepper MSB first
  wire [12:0] w_gnum = {2'b00, c_oc_n} - 13'd1 + {1'b0, i_gphase};
  // decode-window channels: the tile's groups (group count + 1, from the shared multiplier) x ic_n
  wire [25:0] w_chN = (c_og == 12'd0) ? {13'd0, c_ic_n} : w_mp[25:0];
  integer k;

  task automatic fail(input [3:0] code);
    begin
      o_err <= 1'b1;
      o_err_code <= code;
      r_state <= C_ERR;
    end
  endtask

  // input rows / columns the tile spans: (out - 1) * stride + (k - 1) * dilation
  wire [SW-2:0] w_span_h = ({3'd0, c_oh_n} - 14'd1) * {9'd0, c_sy} + ({9'd0, c_kh} - 14'd1) * {11'd0, c_dy};
  wire [SW-2:0] w_span_w = ({3'd0, c_ow_n} - 14'd1) * {9'd0, c_sx} + ({9'd0, c_kw} - 14'd1) * {11'd0, c_dx};
  wire [9:0] w_khkw = c_kh * c_kw;
  wire [4:0] w_rb1 = r_rbit - 5'd1;
  wire [4:0] w_rb9 = r_rbit - 5'd9;
  wire [15:0] w_rinw = {3'd0, rc_in_w};
  // shared multiplier operands per state
  // (14 x 14 bits: buffer pitches wrap at 2^14 at most, tile sizes and the group count fit)
  always @* begin
    w_ma = 14'd0;
    w_mb = 14'd0;
    case (r_state)
      C_SETUP1: begin
        w_ma = {3'd0, c_oh_n};
        w_mb = {3'd0, c_ow_n};
      end
      C_SETUP2: begin
        w_ma = {1'd0, c_ic_n};
        w_mb = {4'd0, w_khkw};
      end
      C_NEXT:
      if (r_cnt == 4'd0) begin
        w_ma = r_kind == K_RESIZE ? {3'd0, i_ih_n} : d_in_h[13:0];
        w_mb = {{(14 - INP_AW) {1'b0}}, d_irb};
      end else begin
        w_ma = {1'b0, w_ty_q[12:0] + 13'd1};
        w_mb = {1'd0, c_ic_n};
      end
      C_WIN: begin
        w_ma = {10'd0, c_pt};
        w_mb = {{(14 - INP_AW) {1'b0}}, d_irb};
      end
      C_OCB: begin
        w_ma = {1'd0, c_ic_n};
        w_mb = {{(14 - INP_AW) {1'b0}}, d_chpitch};
      end
      C_PIX: begin
        w_ma = {3'd0, c_oh_n};
        w_mb = {{(14 - OUT_AW) {1'b0}}, d_orb};
      end
      R_ROW: begin
        w_ma = {2'd0, w_ry0 - i_iy0};
        w_mb = {{(14 - INP_AW) {1'b0}}, d_irb};
      end
      N_SET2: begin
        w_ma = {3'd0, n_rows};
        w_mb = {{(14 - INP_AW) {1'b0}}, d_irb};
      end
      N_PIX: begin
        w_ma = {3'd0, n_rows};
        w_mb = {{(14 - OUT_AW) {1'b0}}, d_orb};
      end
      default: ;
    endcase
  end

  always @(posedge i_clk) begin
    o_done <= 1'b0;
    r_dec_we <= 1'b0;
    r_tx_op <= 2'd0;
    r_ty_op <= 2'd0;
    n_prep <= 1'b0;
    s_colstart <= 1'b0;
    s_divstart <= 1'b0;
    if (i_tbl_we) begin
      r_win_valid <= 1'b0;
      r_par_valid <= 1'b0;
    end
    if (i_rst) begin
      r_state <= C_IDLE;
      o_err <= 1'b0;
      o_err_code <= 4'd0;
      o_macs <= 48'd0;
      o_vec_outputs <= 32'd0;
      o_pass_cycles <= 32'd0;
      r_win_valid <= 1'b0;
      r_par_valid <= 1'b0;
      r_job_rd <= 1'b0;
      r_pj_rd <= 1'b0;
      r_pj_active <= 1'b0;
    end else begin
      // ---- background jobs: window copy writes, parameter captures (one cycle after the read)
      if (r_job_rd) begin
        r_dec_we <= 1'b1;
        r_dec_waddr <= r_job_wa;
        r_dec_wdata <= w_tbl_q[7:0];
      end
      r_job_rd <= 1'b0;
      if (r_pj_rd) begin
        if (r_pj_rk == 2'd0) p_bias[r_pj_rrow] <= v_bias ? w_tbl_q : 32'd0;
        else if (r_pj_rk == 2'd1) begin
          p_m[r_pj_rrow] <= w_tbl_q[14:0];
          p_n[r_pj_rrow] <= w_tbl_q[21:16];
        end else p_z[r_pj_rrow] <= w_tbl_q[15:0];
      end
      r_pj_rd <= 1'b0;
      // parameter job: one TBL word per cycle, in the background of the taps, once every element of
      // the previous parameters has gone through the stage (which has the TBL port meanwhile)
      if (r_pj_active && (w_vq_empty || (w_nearly && r_cred == {(QW + 1) {1'b0}}))) begin
        r_pj_rd <= 1'b1;
        r_pj_rrow <= r_pj_row[RW-1:0];
        r_pj_rk <= r_pj_k;
        if (r_pj_k + 2'd1 == r_pj_nw) begin
          r_pj_k <= 2'd0;
          r_pj_row <= r_pj_row + 1'b1;
          if (r_pj_row + 1'b1 == r_pj_rows) r_pj_active <= 1'b0;
        end else r_pj_k <= r_pj_k + 2'd1;
      end
      if (r_state == C_TAP) o_pass_cycles <= o_pass_cycles + 32'd1;
      // a drained CONV output has K MACs (padding included, as the simulator counts them)
      if (w_drain_go && (!c_w8 || r_ph)) o_macs <= o_macs + {{(48 - KTW) {1'b0}}, d_K};
      // the grouped CONV's group count: one dividend bit per cycle from the CONV's first cycle
      if (w_ty_conv && r_rbit != 5'd0 && r_state != C_IDLE && r_state != C_ERR) begin
        r_ty_op <= 2'd2;
        r_ty_bit <= w_gnum[w_rb1[3:0]];
        r_rbit <= r_rbit - 5'd1;
      end

      case (r_state)
        C_IDLE:
        if (i_start) begin
          case (w_op)
            OP_CCFG: begin
              c_w8 <= i_instr[CCFG_WBITS_LSB];
              c_ienc <= i_instr[CCFG_IENC_LSB+:2];
              c_kh <= i_instr[CCFG_KH_LSB+:5];
              c_kw <= i_instr[CCFG_KW_LSB+:5];
              c_sy <= i_instr[CCFG_SY_LSB+:5];
              c_sx <= i_instr[CCFG_SX_LSB+:5];
              c_dy <= i_instr[CCFG_DY_LSB+:3];
              c_dx <= i_instr[CCFG_DX_LSB+:3];
              c_wt <= i_instr[CCFG_WT_LSB];
              c_wofs <= i_instr[CCFG_WOFS_LSB];
              c_ishared <= i_instr[CCFG_ISHARED_LSB];
              c_og <= {1'b0, i_instr[CCFG_OG_LSB+:11]};
              c_itab <= {1'b0, i_instr[CCFG_ITAB_LSB+:19]};
              c_oc_n <= {1'b0, i_instr[CCFG_OC_N_LSB+:10]} + 11'd1;
              c_oh_n <= {1'b0, i_instr[CCFG_OH_N_LSB+:10]} + 11'd1;
              c_ow_n <= {1'b0, i_instr[CCFG_OW_N_LSB+:10]} + 11'd1;
              c_ic_n <= {2'b0, i_instr[CCFG_IC_N_LSB+:11]} + 13'd1;
              c_pt <= i_instr[CCFG_PT_LSB+:4];
              c_pb <= i_instr[CCFG_PB_LSB+:4];
              c_pl <= i_instr[CCFG_PL_LSB+:4];
              c_pr <= i_instr[CCFG_PR_LSB+:4];
              o_done <= 1'b1;
            end
            OP_VCFG: begin
              v_stage <= i_instr[VCFG_STAGE_LSB+:2];
              v_bias <= i_instr[VCFG_BIAS_LSB];
              v_act <= i_instr[VCFG_ACT_LSB+:2];
              v_alpha <= i_instr[VCFG_ALPHA_LSB+:18];
              v_btab <= i_instr[VCFG_BTAB_LSB+:20];
              v_ptab <= i_instr[VCFG_PTAB_LSB+:20];
              v_ttab <= i_instr[VCFG_TTAB_LSB+:20];
              r_par_valid <= 1'b0;
              o_done <= 1'b1;
            end
            OP_RCFG: begin
              rc_ienc <= i_instr[RCFG_IENC_LSB+:2];
              rc_in_h <= {1'b0, i_instr[RCFG_IN_H_LSB+:12]} + 13'd1;
              rc_in_w <= {1'b0, i_instr[RCFG_IN_W_LSB+:12]} + 13'd1;
              rc_out_h <= {1'b0, i_instr[RCFG_OUT_H_LSB+:13]} + 14'd1;
              rc_out_w <= {1'b0, i_instr[RCFG_OUT_W_LSB+:13]} + 14'd1;
              rc_itab <= i_instr[RCFG_ITAB_LSB+:20];
              o_done <= 1'b1;
            end
            OP_CONV: begin
              i_fuse <= i_instr[CONV_FUSE_LSB];
              i_accum <= i_instr[CONV_ACCUM_LSB];
              i_inp <= i_instr[CONV_INP_LSB+:20];
              i_wgt <= i_instr[CONV_WGT_LSB+:20];
              i_acc <= i_instr[CONV_ACC_LSB+:20];
              i_dst <= i_instr[CONV_DST_LSB+:20];
              i_ic0 <= i_instr[CONV_IC0_LSB+:12];
              i_oc0 <= i_instr[CONV_OC0_LSB+:12];
              i_gphase <= i_instr[CONV_GPHASE_LSB+:12];
              r_kind <= K_CONV;
              r_state <= C_SETUP1;
              // grouped: 13 dividend bits through the y stepper (cleared here)
              r_ty_op <= 2'd1;
              r_ty_iq <= 20'd0;
              r_ty_ir <= 13'd0;
              r_rbit <= (c_og == 12'd0) ? 5'd0 : 5'd13;
            end
            OP_VEC: begin
              i_fuse <= 1'b1;
              i_accum <= 1'b0;
              i_src <= i_instr[VEC_SRC_LSB+:20];
              i_dst <= i_instr[VEC_DST_LSB+:20];
              i_c0 <= i_instr[VEC_C0_LSB+:12];
              i_c_n <= {1'b0, i_instr[VEC_C_N_LSB+:12]} + 13'd1;
              i_rows <= {1'b0, i_instr[VEC_ROWS_LSB+:10]} + 11'd1;
              i_cols <= {1'b0, i_instr[VEC_COLS_LSB+:11]} + 12'd1;
              r_kind <= K_VEC;
              r_state <= C_SETUP1;
            end
            OP_RESIZE: begin
              i_inp <= i_instr[RESIZE_INP_LSB+:20];
              i_dst <= i_instr[RESIZE_DST_LSB+:20];
              i_c0 <= i_instr[RESIZE_C0_LSB+:12];
              i_c_n <= {1'b0, i_instr[RESIZE_C_N_LSB+:12]} + 13'd1;
              i_y0 <= i_instr[RESIZE_Y0_LSB+:13];
              i_ny <= {1'b0, i_instr[RESIZE_NY_LSB+:10]} + 11'd1;
              i_iy0 <= i_instr[RESIZE_IY0_LSB+:12];
              i_ih_n <= {1'b0, i_instr[RESIZE_IH_N_LSB+:10]} + 11'd1;
              r_kind <= K_RESIZE;
              // x and y steps 256 (in - 1) / (out - 1): 20 bits shifted into cleared steppers
              r_tx_op <= 2'd1;
              r_tx_iq <= 20'd0;
              r_tx_ir <= 13'd0;
              r_ty_op <= 2'd1;
              r_ty_iq <= 20'd0;
              r_ty_ir <= 13'd0;
              r_rbit <= 5'd20;
              r_state <= R_DIV;
            end
            OP_NORM: begin
              n_ienc <= i_instr[NORM_IENC_LSB+:2];
              i_inp <= i_instr[NORM_INP_LSB+:20];
              i_dst <= i_instr[NORM_DST_LSB+:20];
              n_itab <= i_instr[NORM_ITAB_LSB+:20];
              n_cn <= {1'b0, i_instr[NORM_C_N_LSB+:12]} + 13'd1;
              n_rows <= {1'b0, i_instr[NORM_ROWS_LSB+:10]} + 11'd1;
              n_cols <= {1'b0, i_instr[NORM_COLS_LSB+:11]} + 12'd1;
              n_eps <= i_instr[NORM_EPS_LSB+:20];
              r_kind <= K_NORM;
              r_state <= N_SET1;
            end
            OP_SMAX: begin
              i_src <= i_instr[SMAX_SRC_LSB+:20];
              i_dst <= i_instr[SMAX_DST_LSB+:20];
              sm_dbuf <= i_instr[SMAX_DBUF_LSB];
              s_cn <= {1'b0, i_instr[SMAX_C_N_LSB+:13]} + 14'd1;
              n_cols <= {1'b0, i_instr[SMAX_COLS_LSB+:11]} + 12'd1;
              s_m <= i_instr[SMAX_M_LSB+:16];
              s_n <= i_instr[SMAX_N_LSB+:6];
              r_kind <= K_SMAX;
              r_state <= S_SET1;
            end
            default: fail(4'd6);
          endcase
        end

        // ---- NORM
        N_SET1: begin
          d_ob <= v_stage == STAGE_THRESH ? 6'd4 : v_stage == STAGE_REQUANT ? 6'd8 : 6'd32;
          d_irb <= n_ienc == IENC_LUT4 ? w_ncols17[INP_AW:1] + {{(INP_AW - 1) {1'b0}}, n_cols[0]} : w_ncols17[INP_AW-1:0];
          r_state <= N_SET2;
          if (HAS_TRANSFORMER == 0) fail(4'd9);
          if (n_ienc != IENC_LUT4 && n_ienc != IENC_LIN8) fail(4'd5);
          if (v_stage == STAGE_REQUANT && v_act == ACT_LEAKY && w_alpha_big) fail(4'd7);
          if (n_ienc == IENC_LUT4 ? n_cn > (13'd1 << (DEC_AW - 4)) : n_cn > (13'd1 << DEC_AW)) fail(4'd8);
        end

        N_SET2: begin
          d_orb <= ocol({2'd0, n_cols} + {13'd0, d_ob == 6'd4}, d_ob);
          d_chpitch <= w_mp[INP_AW-1:0];
          n_r <= 11'd0;
          n_x <= 12'd0;
          n_rowa <= {INP_AW{1'b0}};
          n_orow <= {DA_W{1'b0}};
          r_job_src <= n_itab[TBL_AW-1:0];
          r_job_n <= n_ienc == IENC_LUT4 ? {n_cn[11:0], 4'd0} : {3'd0, n_cn};
          r_job_dst <= {DEC_AW{1'b0}};
          r_job_i <= 16'd0;
          r_after_win <= N_PIX;
          r_state <= C_WIN;
        end

        N_PIX: begin
          d_ochp <= w_mp[OUT_AW-1:0];
          n_c <= 13'd0;
          n_cha <= {INP_AW{1'b0}};
          r_state <= N_STAT;
        end

        // statistics: one code per cycle
        N_STAT: begin
          n_cha <= n_cha + d_chpitch;
          if (n_c + 13'd1 == n_cn) r_state <= N_WAIT;
          else n_c <= n_c + 13'd1;
        end

        N_WAIT:
        if (!n1_valid && !n2_valid) begin
          n_prep <= 1'b1;
          r_cnt <= 4'd2;
          r_state <= N_PREP;
        end

        N_PREP:
        if (r_cnt != 4'd0) r_cnt <= r_cnt - 4'd1;
        else if (!w_np_busy) begin
          n_c <= 13'd0;
          n_cha <= {INP_AW{1'b0}};
          n_ocha <= {DA_W{1'b0}};
          r_vthr <= thr_of({(TBL_AW - 2) {1'b0}});
          r_par_valid <= 1'b0;
          if (w_nfast) p_bias[0] <= 32'd0;
          else begin
            r_pj_ch0 <= 12'd0;
            r_pj_rows <= {{RW{1'b0}}, 1'b1};
            r_pj_row <= {(RW + 1) {1'b0}};
            r_pj_k <= 2'd0;
            r_pj_nw <= v_stage == STAGE_REQUANT ? 2'd3 : 2'd1;
            r_pj_active <= 1'b1;
          end
          r_state <= N_NPAR;
        end

        // each channel: its stage parameters, its code again, the normalized value into the stage;
        // without per-channel parameters (w_nfast) the next value follows as soon as the unit is free
        N_NPAR:
        if (n_issue) begin
          n_tag <= {r_vthr, n_x[0], w_socol + n_ocha + n_orow};
          if (w_nstream) begin
            o_vec_outputs <= o_vec_outputs + 32'd1;
            if (n_c + 13'd1 != n_cn) begin
              n_c <= n_c + 13'd1;
              n_cha <= n_cha + d_chpitch;
              n_ocha <= n_ocha + {{(DA_W - OUT_AW) {1'b0}}, d_ochp};
              r_vthr <= r_vthr + THR_STEP;
              if (!w_nfast) begin
                r_pj_ch0 <= n_c[11:0] + 12'd1;
                r_pj_row <= {(RW + 1) {1'b0}};
                r_pj_k <= 2'd0;
                r_pj_active <= 1'b1;
              end
            end else r_state <= N_NWAIT;
          end else r_state <= N_NWAIT;
        end

        // fast: the pixel's last value has left the unit; else: the channel's result is written
        N_NWAIT:
        if (w_nstream ? (w_nready && !n1_valid && !n2_valid) : w_vq_empty) begin
          if (!w_nstream) o_vec_outputs <= o_vec_outputs + 32'd1;
          if (n_c + 13'd1 != n_cn) begin
            n_c <= n_c + 13'd1;
            n_cha <= n_cha + d_chpitch;
            n_ocha <= n_ocha + {{(DA_W - OUT_AW) {1'b0}}, d_ochp};
            r_vthr <= r_vthr + THR_STEP;
            r_pj_ch0 <= n_c[11:0] + 12'd1;
            r_pj_row <= {(RW + 1) {1'b0}};
            r_pj_k <= 2'd0;
            r_pj_active <= 1'b1;
            r_state <= N_NPAR;
          end else if (n_x + 12'd1 != n_cols) begin
            n_x <= n_x + 12'd1;
            r_state <= N_PIX;
          end else begin
            n_x <= 12'd0;
            n_rowa <= n_rowa + d_irb;
            n_orow <= n_orow + {{(DA_W - OUT_AW) {1'b0}}, d_orb};
            if (n_r + 11'd1 != n_rows) begin
              n_r <= n_r + 11'd1;
              r_state <= N_PIX;
            end else begin
              r_state <= C_TAIL;
              r_cnt <= 4'd4;
            end
          end
        end

        // ---- SMAX
        S_SET1: begin
          d_ob <= v_stage == STAGE_THRESH ? 6'd4 : v_stage == STAGE_REQUANT ? 6'd8 : 6'd32;
          s_spitch <= {n_cols[ACC_AW-3:0], 2'b00};
          s_scol <= i_src[ACC_AW-1:0];
          n_x <= 12'd0;
          r_vthr <= thr_of({(TBL_AW - 2) {1'b0}});
          r_pj_ch0 <= 12'd0;
          r_pj_rows <= {{RW{1'b0}}, 1'b1};
          r_pj_row <= {(RW + 1) {1'b0}};
          r_pj_k <= 2'd0;
          r_pj_nw <= v_stage == STAGE_REQUANT ? 2'd3 : 2'd1;
          r_pj_active <= 1'b1;
          r_par_valid <= 1'b0;
          r_state <= S_COL;
          if (HAS_TRANSFORMER == 0) fail(4'd9);
          if (v_stage == STAGE_REQUANT && v_act == ACT_LEAKY && w_alpha_big) fail(4'd7);
        end

        S_COL:
        if (w_pj_done) begin
          d_orb <= ocol({2'd0, n_cols} + {13'd0, d_ob == 6'd4}, d_ob);
          s_colstart <= 1'b1;
          n_c <= 13'd0;
          s_saddr <= s_scol;
          s_pass <= 2'd0;
          s_done <= 1'b0;
          r_state <= S_PASS;
        end

        S_PASS:
        if (s_issue) begin
          s_saddr <= s_saddr + s_spitch;
          if (s_pass == 2'd2) begin
            n_tag <= {r_vthr, n_x[0], n_oaddr};
            n_oaddr <= n_oaddr + {{(DA_W - OUT_AW) {1'b0}}, d_orb};
            o_vec_outputs <= o_vec_outputs + 32'd1;
          end
          if ({1'b0, n_c} + 14'd1 == s_cn) s_done <= 1'b1;
          else n_c <= n_c + 13'd1;
        end else if (s_done && !s1_valid && w_sm_ready) begin
          // the pass's last score has been taken and the unit is idle
          s_done <= 1'b0;
          n_c <= 13'd0;
          s_saddr <= s_scol;
          n_oaddr <= w_sdst + w_nxcol;
          if (s_pass == 2'd0) s_pass <= 2'd1;
          else if (s_pass == 2'd1) begin
            s_divstart <= 1'b1;
            s_pass <= 2'd2;
            r_cnt <= 4'd2;
            r_state <= S_DIV;
          end else if (n_x + 12'd1 != n_cols) begin
            n_x <= n_x + 12'd1;
            s_scol <= s_scol + {{(ACC_AW - 3) {1'b0}}, 3'd4};
            r_state <= S_COL;
          end else begin
            r_state <= C_TAIL;
            r_cnt <= 4'd4;
          end
        end

        S_DIV:
        if (r_cnt != 4'd0) r_cnt <= r_cnt - 4'd1;
        else if (w_sm_ready) r_state <= S_PASS;

        R_DIV:
        if (r_rbit != 5'd0) begin
          r_tx_op <= 2'd2;
          r_ty_op <= 2'd2;
          r_tx_bit <= r_rbit > 5'd8 ? w_ra_x[w_rb9[3:0]] : 1'b0;
          r_ty_bit <= r_rbit > 5'd8 ? w_ra_y[w_rb9[3:0]] : 1'b0;
          r_rbit <= r_rbit - 5'd1;
        end else if (r_tx_op == 2'd0) begin
          // the steps are in the steppers (the last bit landed); y restarts at 0 for 256 y0 (in_h - 1)
          r_qa_x <= w_tx_q;
          r_ra_x <= w_tx_r;
          r_qa_y <= w_ty_q;
          r_ra_y <= w_ty_r;
          r_ty_op <= 2'd1;
          r_ty_iq <= 20'd0;
          r_ty_ir <= 13'd0;
          r_rbit <= 5'd13;
          r_ph <= 1'b0;
          r_state <= R_YM;
        end

        // y0's bits MSB first: double, then add the step when the bit is set; then + (out_h - 1) / 2
        R_YM:
        if (r_rbit != 5'd0) begin
          if (!r_ph) begin
            r_ty_op <= 2'd2;
            r_ty_bit <= 1'b0;
            r_ph <= 1'b1;
          end else begin
            r_ty_op <= i_y0[w_rb1[3:0]] ? 2'd3 : 2'd0;
            r_ty_iq <= r_qa_y;
            r_ty_ir <= r_ra_y;
            r_ph <= 1'b0;
            r_rbit <= r_rbit - 5'd1;
          end
        end else begin
          r_ty_op <= 2'd3;
          r_ty_iq <= 20'd0;
          r_ty_ir <= w_rden_y >> 1;
          r_state <= C_SETUP1;
        end

        C_SETUP1: begin
          d_in_h <= $signed({1'b0, w_span_h}) + $signed({{(SW - 1) {1'b0}}, 1'b1})
                  - $signed({{(SW - 4) {1'b0}}, c_pt}) - $signed({{(SW - 4) {1'b0}}, c_pb});
          d_in_w <= $signed({1'b0, w_span_w}) + $signed({{(SW - 1) {1'b0}}, 1'b1})
                  - $signed({{(SW - 4) {1'b0}}, c_pl}) - $signed({{(SW - 4) {1'b0}}, c_pr});
          d_P <= w_mp[PXW-1:0];
          d_ob <= v_stage == STAGE_THRESH ? 6'd4 : v_stage == STAGE_REQUANT ? 6'd8 : 6'd32;
          r_state <= C_SETUP2;
          if (r_kind == K_CONV && c_ienc != IENC_LUT4 && c_ienc != IENC_LIN8) fail(4'd5);
          if (r_kind == K_RESIZE && rc_ienc != IENC_LUT4 && rc_ienc != IENC_LIN8) fail(4'd5);
          if (v_stage == STAGE_REQUANT && v_act == ACT_LEAKY && w_alpha_big) fail(4'd7);
          // W8 taps need the DSP rows of the array
          if (r_kind == K_CONV && c_w8 && N_DSP == 0) fail(4'd9);
        end

        C_SETUP2: begin
          d_K <= w_mp[KTW-1:0];
          // RESIZE: y's first value has landed in its stepper
          if (r_kind == K_RESIZE) begin
            r_y0_q <= w_ty_q;
            r_y0_r <= w_ty_r;
          end
          // row bytes of the input (CONV: in_w codes; RESIZE: in_w codes) and of the output
          if (r_kind == K_RESIZE)
            d_irb <= rc_ienc == IENC_LUT4 ? w_rinw[INP_AW:1] + {{(INP_AW - 1) {1'b0}}, w_rinw[0]}
                                          : w_rinw[INP_AW-1:0];
          else begin
            d_irb <= c_ienc == IENC_LUT4 ? d_in_w[INP_AW:1] + {{(INP_AW - 1) {1'b0}}, d_in_w[0]}
                                         : d_in_w[INP_AW-1:0];
          end
          case (r_kind)
            K_CONV: d_orb <= ocol({3'd0, c_ow_n} + {13'd0, d_ob == 6'd4}, d_ob);
            K_VEC: d_orb <= ocol({2'd0, i_cols} + {13'd0, d_ob == 6'd4}, d_ob);
            default: d_orb <= ocol(rc_out_w + {13'd0, d_ob == 6'd4}, d_ob);
          endcase
          r_state <= C_NEXT;
          r_cnt <= 4'd0;
        end

        C_NEXT: begin  // derived products, then table windows
          if (r_cnt == 4'd0) begin
            d_chpitch <= w_mp[INP_AW-1:0];
            d_dyirb <= c_dy * d_irb;
            d_syirb <= c_sy * d_irb;
            r_cnt <= 4'd1;
          end else if (r_kind == K_CONV) begin
            if (r_rbit != 5'd0 || r_ty_op != 2'd0) ;  // grouped: the group count is still being divided out
            else begin
              if (!c_ishared && (c_ienc == IENC_LUT4 ? (w_chN > (26'd1 << (DEC_AW - 4))) : (w_chN > (26'd1 << DEC_AW))))
                fail(4'd8);
              else begin
                r_jb <= 11'd0;
                r_gq <= 13'd0;
                r_gr <= i_gphase;
                b_ch <= 13'd0;
                b_chofs <= {INP_AW{1'b0}};
                b_wb <= {WIW{1'b0}};
                b_ochan <= {OUT_AW{1'b0}};
                b_achan <= {ACC_AW{1'b0}};
                b_thr <= thr_of(i_oc0[TBL_AW-3:0]);
                r_after_win <= C_OCB;
                // ishared: the one table at itab serves every channel (decode channel 0)
                if (c_ienc == IENC_LUT4) begin
                  r_job_src <= c_itab[TBL_AW-1:0] + (c_ishared ? {TBL_AW{1'b0}} : {i_ic0[TBL_AW-5:0], 4'd0});
                  r_job_n <= c_ishared ? 16'd16 : {w_chN[11:0], 4'd0};
                  r_job_dst <= {DEC_AW{1'b0}};
                end else begin
                  r_job_src <= c_itab[TBL_AW-1:0] + (c_ishared ? {TBL_AW{1'b0}} : i_ic0[TBL_AW-1:0]);
                  r_job_n <= c_ishared ? 16'd1 : w_chN[15:0];
                  r_job_dst <= {DEC_AW{1'b0}};
                end
                r_state <= C_WIN;
                r_job_i <= 16'd0;
              end
            end
          end else if (r_kind == K_VEC) begin
            r_c <= 13'd0;
            r_t <= 13'd0;
            r_dr <= 11'd0;
            r_dc <= 14'd0;
            r_pj_ch0 <= i_c0;
            r_pj_rows <= {{RW{1'b0}}, 1'b1};
            r_pj_row <= {(RW + 1) {1'b0}};
            r_pj_k <= 2'd0;
            r_pj_nw <= v_stage == STAGE_REQUANT ? 2'd3 : 2'd1;
            r_pj_active <= 1'b1;
            r_par_valid <= 1'b0;
            r_rorow <= i_dst[OUT_AW-1:0];
            r_vthr <= thr_of(i_c0[TBL_AW-3:0]);
            r_state <= V_PAR;
          end else begin
            if (rc_ienc == IENC_LUT4 && i_c_n > (13'd1 << (DEC_AW - 4))) fail(4'd8);
            else begin
              r_c <= 13'd0;
              r_rch <= {INP_AW{1'b0}};
              r_rorow <= i_dst[OUT_AW-1:0];
              r_vthr <= thr_of(i_c0[TBL_AW-3:0]);
              r_after_win <= R_CH;
              r_job_src <= rc_itab[TBL_AW-1:0] + {i_c0[TBL_AW-5:0], 4'd0};
              r_job_n <= rc_ienc == IENC_LUT4 ? {i_c_n[11:0], 4'd0} : 16'd0;
              r_job_dst <= {DEC_AW{1'b0}};
              r_job_i <= 16'd0;
              r_state <= C_WIN;
            end
          end
        end

        C_WIN: begin
          if (r_job_i == 16'd0) d_ptirb <= w_mp[INP_AW-1:0];
          // skip when the decoder already holds these tables
          if (r_job_i == 16'd0 && (r_job_n == 16'd0 || (r_win_valid && r_win_ienc == w_win_ienc
                                   && r_win_src == r_job_src && r_win_n >= r_job_n))) begin
            r_state <= r_after_win;
          end else if (r_job_i == r_job_n) begin
            r_win_valid <= 1'b1;
            r_win_ienc <= w_win_ienc;
            r_win_src <= r_job_src;
            r_win_n <= r_job_n;
            r_state <= r_after_win;
          end else begin
            r_job_rd <= 1'b1;
            r_job_wa <= r_job_dst + r_job_i[DEC_AW-1:0];
            r_job_i <= r_job_i + 16'd1;
          end
        end

        C_OCB:
        // a group phase of og or more: bring it below og first, one group per cycle
        if (c_og != 12'd0 && r_gr >= c_og) begin
          r_gr <= r_gr - c_og;
          r_gq <= r_gq + 13'd1;
          b_ch <= b_ch + c_ic_n;
          b_chofs <= b_chofs + w_mp[INP_AW-1:0];
        end else begin
          d_gpitch <= w_mp[INP_AW-1:0];
          r_rv <= w_ocb_rows;
          for (k = 0; k < ROWS; k = k + 1) begin
            r_grp[k] <= c_og == 12'd0 ? 13'd0 : w_gq[k];
            r_wbase[k] <= w_wb[k];
          end
          r_p0 <= {PXW{1'b0}};
          r_bx <= 11'd0;
          b_iy0 <= -$signed({{(SW - 4) {1'b0}}, c_pt});
          b_ix0 <= -$signed({{(SW - 4) {1'b0}}, c_pl});
          b_lrow <= -d_ptirb;
          b_orow0 <= {OUT_AW{1'b0}};
          b_ox0 <= 11'd0;
          b_apix0 <= {ACC_AW{1'b0}};
          // stage parameters of the block's channels, loaded during the taps of its first pass
          if (i_fuse && !(r_par_valid && r_par_ch0 == i_oc0 + {1'b0, r_jb} && r_par_rows >= w_ocb_rows)) begin
            r_pj_ch0 <= i_oc0 + {1'b0, r_jb};
            r_pj_rows <= w_ocb_rows;
            r_pj_row <= {(RW + 1) {1'b0}};
            r_pj_k <= 2'd0;
            r_pj_nw <= v_stage == STAGE_REQUANT ? 2'd3 : 2'd1;
            r_pj_active <= 1'b1;
            r_par_valid <= 1'b1;
            r_par_ch0 <= i_oc0 + {1'b0, r_jb};
            r_par_rows <= w_ocb_rows;
          end
          r_state <= C_PIX;
        end

        V_PAR: if (w_pj_done) r_state <= V_RUN;
        R_PAR: if (w_pj_done) r_state <= R_ROW;

        C_PIX: begin
          d_ochp <= w_mp[OUT_AW-1:0];
          for (k = 0; k < COLS; k = k + 1) begin
            r_lvalid[k] <= k < r_cv_n;
            r_liy0[k] <= w_ciy[k];
            r_lix0[k] <= w_cix[k];
            r_lrow[k] <= w_crow[k];
          end
          r_cv <= r_cv_n;
          r_g <= r_grp[0];
          r_g_hi <= r_grp[r_rv[RW-1:0]-1'b1];
          r_c <= 13'd0;
          r_ch <= b_ch;
          r_chofs <= b_chofs;
          r_t <= 13'd0;
          r_ky <= 5'd0;
          r_kx <= 5'd0;
          r_kyd <= 8'd0;
          r_kxd <= 8'd0;
          r_kyirb <= {INP_AW{1'b0}};
          r_ph <= 1'b0;
          r_first <= 1'b1;
          r_srv <= {COLS{1'b0}};
          r_state <= C_TAP;
        end

        // a tap stays until every lane's code has been read (w_tap_done)
        C_TAP:
        if (!w_tap_done) r_srv <= r_srv | w_lane_rd;
        else begin
          r_srv <= {COLS{1'b0}};
          r_first <= 1'b0;
          begin
            // wt: weight element c * oc_n + j, stepped per input channel only
            if (!c_wt) r_t <= r_t + 13'd1;
            if (r_kx + 5'd1 != c_kw) begin
              r_kx <= r_kx + 5'd1;
              r_kxd <= r_kxd + {5'd0, c_dx};
            end else begin
              r_kx <= 5'd0;
              r_kxd <= 8'd0;
              if (r_ky + 5'd1 != c_kh) begin
                r_ky <= r_ky + 5'd1;
                r_kyd <= r_kyd + {5'd0, c_dy};
                r_kyirb <= r_kyirb + d_dyirb;
              end else begin
                r_ky <= 5'd0;
                r_kyd <= 8'd0;
                r_kyirb <= {INP_AW{1'b0}};
                r_chofs <= r_chofs + d_chpitch;
                r_ch <= r_ch + 13'd1;
                if (c_wt) r_t <= r_t + {2'd0, c_oc_n};
                if (r_c + 13'd1 != c_ic_n) r_c <= r_c + 13'd1;
                else begin
                  r_c <= 13'd0;
                  r_t <= 13'd0;
                  if (r_g == r_g_hi) begin
                    r_state <= C_FLUSH;
                    r_cnt <= 4'd3;
                  end else r_g <= r_g + 13'd1;
                end
              end
            end
          end
        end

        C_FLUSH:
        if (r_cnt == 4'd0) begin
          if (w_pj_done) begin
            r_state <= C_DRAIN;
            r_dr <= 11'd0;
            r_dc <= 14'd0;
            r_ph <= 1'b0;
            r_dorow <= b_orow0;
            r_dox <= b_ox0;
            r_dapix <= b_apix0;
            r_dochan <= b_ochan;
            r_dachan <= b_achan;
            r_dthr <= b_thr;
          end
        end else r_cnt <= r_cnt - 4'd1;

        C_DRAIN:
        if (c_w8 && !r_ph) begin
          if (w_drain_go) r_ph <= 1'b1;
        end else if (w_drain_go) begin
          r_ph <= 1'b0;
          r_dorow <= w_dorow_n;
          r_dox <= w_dox_n;
          r_dapix <= w_dapix_n;
          if (r_dc[CW:0] + 1'b1 != r_cv) r_dc <= r_dc + 14'd1;
          else begin
            r_dc <= 14'd0;
            r_dorow <= b_orow0;
            r_dox <= b_ox0;
            r_dapix <= b_apix0;
            r_dochan <= r_dochan + d_ochp;
            r_dachan <= r_dachan + {d_P[ACC_AW-3:0], 2'b00};
            r_dthr <= r_dthr  + THR_STEP;
            if (r_dr[RW:0] + 1'b1 != r_rv) r_dr <= r_dr + 11'd1;
            else if (r_p0 + COLS[PXW-1:0] < d_P) begin
              r_p0 <= r_p0 + COLS[PXW-1:0];
              r_bx <= w_cx[COLS];
              b_iy0 <= w_ciy[COLS];
              b_ix0 <= w_cix[COLS];
              b_lrow <= w_crow[COLS];
              b_orow0 <= w_dorow_n;
              b_ox0 <= w_dox_n;
              b_apix0 <= w_dapix_n;
              r_state <= C_PIX;
            end else if (r_jb + {{(10 - RW) {1'b0}}, w_ocb_rows} < c_oc_n) begin
              r_jb <= r_jb + {{(10 - RW) {1'b0}}, w_ocb_rows};
              if (c_og != 12'd0) begin
                r_gq <= w_gq_next;
                r_gr <= w_gr[w_ocb_rows];
              end
              b_ch <= b_ch + w_gdelta * c_ic_n;
              b_chofs <= b_chofs + w_gdelta * d_gpitch;
              b_wb <= w_wb[w_ocb_rows];
              b_ochan <= r_dochan + d_ochp;
              b_achan <= r_dachan + {d_P[ACC_AW-3:0], 2'b00};
              b_thr <= r_dthr  + THR_STEP;
              r_state <= C_OCB;
            end else begin
              r_state <= C_TAIL;
              r_cnt <= 4'd4;
            end
          end
        end

        V_RUN:
        if (w_vec_go) begin
          o_vec_outputs <= o_vec_outputs + 32'd1;
          r_t <= r_t + 13'd1;
          if (r_dc + 14'd1 != {2'd0, i_cols}) r_dc <= r_dc + 14'd1;
          else begin
            r_dc <= 14'd0;
            r_rorow <= r_rorow + d_orb;
            if (r_dr + 11'd1 != i_rows) r_dr <= r_dr + 11'd1;
            else begin
              r_dr <= 11'd0;
              if (r_c + 13'd1 == i_c_n) begin
                r_state <= C_TAIL;
                r_cnt <= 4'd4;
              end else begin
                r_c <= r_c + 13'd1;
                r_vthr <= r_vthr  + THR_STEP;
                r_pj_ch0 <= i_c0 + r_c[11:0] + 12'd1;
                r_pj_row <= {(RW + 1) {1'b0}};
                r_pj_k <= 2'd0;
                r_pj_active <= 1'b1;
                r_state <= V_PAR;
              end
            end
          end
        end

        R_CH: begin
          r_pj_ch0 <= i_c0 + r_c[11:0];
          r_pj_rows <= {{RW{1'b0}}, 1'b1};
          r_pj_row <= {(RW + 1) {1'b0}};
          r_pj_k <= 2'd0;
          r_pj_nw <= v_stage == STAGE_REQUANT ? 2'd3 : 2'd1;
          r_pj_active <= 1'b1;
          r_par_valid <= 1'b0;
          r_dr <= 11'd0;
          // the channel's first row: y = y0, x = 0
          r_ty_op <= 2'd1;
          r_ty_iq <= r_y0_q;
          r_ty_ir <= r_y0_r;
          r_tx_op <= 2'd1;
          r_tx_iq <= 20'd0;
          r_tx_ir <= w_rden_x >> 1;
          r_state <= R_PAR;
        end

        R_ROW: begin
          if (w_ry0 < i_iy0 || {1'b0, w_ry1} >= {1'b0, i_iy0} + {2'b00, i_ih_n}) fail(4'd4);
          else begin
            r_rrowa <= r_rch + w_mp[INP_AW-1:0];
            r_rrowb <= r_rch + w_mp[INP_AW-1:0] + (w_ry1 != w_ry0 ? d_irb : {INP_AW{1'b0}});
            r_rfy <= w_ty_q[7:0];
            r_dc <= 14'd0;
            r_ph <= 1'b0;
            // the next row's y
            r_ty_op <= 2'd3;
            r_ty_iq <= r_qa_y;
            r_ty_ir <= r_ra_y;
            r_state <= R_PIX;
          end
        end

        R_PIX: begin
          // x steps with each issue (landing before the next one); after the row's last, x restarts
          // at 0: (out_w - 1) / 2 over out_w - 1
          if (w_rs_issue) begin
            r_ph <= 1'b1;
            if (r_dc + 14'd1 != rc_out_w) begin
              r_tx_op <= 2'd3;
              r_tx_iq <= r_qa_x;
              r_tx_ir <= r_ra_x;
            end else begin
              r_tx_op <= 2'd1;
              r_tx_iq <= 20'd0;
              r_tx_ir <= w_rden_x >> 1;
            end
          end
          if (r_ph) begin
            r_ph <= 1'b0;
            o_vec_outputs <= o_vec_outputs + 32'd1;
            if (r_dc + 14'd1 != rc_out_w) r_dc <= r_dc + 14'd1;
            else begin
              r_rorow <= r_rorow + d_orb;
              if (r_dr + 11'd1 != i_ny) begin
                r_dr <= r_dr + 11'd1;
                r_state <= R_ROW;
              end else if (r_c + 13'd1 != i_c_n) begin
                r_c <= r_c + 13'd1;
                r_rch <= r_rch + d_chpitch;
                r_vthr <= r_vthr  + THR_STEP;
                r_state <= R_CH;
              end else begin
                r_state <= C_TAIL;
                r_cnt <= 4'd4;
              end
            end
          end
        end

        // the last results are written (OUT: all elements through the stage; ACC: the pipeline)
        C_TAIL:
        if (!w_vq_empty || sx_pend) ;
        else if (r_cnt == 4'd0 && w_pj_done) begin
          r_state <= C_IDLE;
          o_done <= 1'b1;
        end else r_cnt <= r_cnt - 4'd1;

        default: ;  // C_ERR: stays until reset
      endcase
    end
  end
  wire w_unused = &{1'b0, n_itab[19:TBL_AW], w_nx17[16:INP_AW+1], w_ncols17[16:INP_AW+1], w_sm_div_busy, r_ky, c_pb, c_pr, rc_itab[0], i_acc[1:0], i_src[1:0], r_kx, w_mp[27:26], d_in_h[SW-1:14],
                    c_itab[19:TBL_AW], v_btab[19:TBL_AW], v_ptab[19:TBL_AW], v_ttab[19:TBL_AW], rc_in_h[12], rc_out_h[13],
                    rc_itab[19:TBL_AW], i_ic0[11], r_pj_ch0[11], w_rx0e[16:INP_AW+1], w_rx1e[16:INP_AW+1],
                    w_pj_ch[TBL_AW-1:TBL_AW-2], w_rinw[15], w_rb1[4], w_rb9[4],
                    i_inp[19:INP_AW], i_wgt[19:WGT_AW], i_acc[19:ACC_AW], i_dst[19:OUT_AW], i_src[19:ACC_AW]};
endmodule
