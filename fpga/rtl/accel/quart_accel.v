// quart accelerator core: fetch/dispatch, three in-order queues with dependency tokens, three DMA
// engines, the compute unit (matrix + vector) and a 32-bit register window. One clock, synchronous
// reset. See README.md (core) for the architecture, the cycle costs and the register map.
//
// Queues (docs/isa.md): load (LOAD), compute (LOADT, CCFG, CONV, VCFG, VEC, RCFG, RESIZE, NORM,
// SMAX, NOP, FINISH; VFN raises an error), store (STORE). Each queue holds QD dispatched instructions; its head
// waits for the tokens it pops (l2c, c2l, c2s, s2c: counters), executes, then pushes its tokens.
// FINISH sets DONE once it has executed.
//
// External memory: the program port (one 128-bit word per request) and one byte-wide burst port per
// DMA engine (load queue, compute queue's LOADT, store queue); addresses are segment base + offset,
// the bases set through the register window. An SoC bus adapter arbitrates them onto one memory.
`default_nettype none

module quart_accel #(
    parameter integer ROWS = 4,
    parameter integer COLS = 8,
    parameter integer INP_AW = 14,  // 16 KiB
    parameter integer WGT_AW = 12,  // 4 KiB
    parameter integer TBL_AW = 11,  // 2 KiB
    parameter integer ACC_AW = 13,  // 8 KiB
    parameter integer OUT_AW = 13,  // 8 KiB
    parameter integer DEC_AW = 11,
    parameter integer N_DSP = 0,
    parameter integer QD = 2,       // queue depth (instructions)
    parameter integer CAW = 9,      // loop buffer: 2^CAW program words (>= 9: 256-word bodies)
    parameter integer HAS_TRANSFORMER = 1  // NORM and SMAX units (0: they raise error 9)
) (
    input  wire         i_clk,
    input  wire         i_rst,
    // register window (32-bit words, byte offsets)
    input  wire         i_reg_we,
    input  wire [7:0]   i_reg_addr,
    input  wire [31:0]  i_reg_wdata,
    output reg  [31:0]  o_reg_rdata,
    output wire         o_done,
    output wire         o_irq,
    // program port
    output wire         o_preq_valid,
    input  wire         i_preq_ready,
    output wire [31:0]  o_preq_addr,
    input  wire         i_prsp_valid,
    input  wire [127:0] i_prsp_data,
    // DMA ports: [0] load queue, [1] compute queue (LOADT), [2] store queue
    output wire [2:0]   o_mreq_valid,
    input  wire [2:0]   i_mreq_ready,
    output wire [95:0]  o_mreq_addr,
    output wire [47:0]  o_mreq_len,
    output wire [2:0]   o_mreq_we,
    output wire [2:0]   o_mreq_first,
    output wire [5:0]   o_mreq_seg,
    input  wire [2:0]   i_mrvalid,
    input  wire [23:0]  i_mrdata,
    output wire [2:0]   o_mwvalid,
    input  wire [2:0]   i_mwready,
    output wire [23:0]  o_mwdata,
    output wire [5:0]   o_mwmask
);
`include "isa_defs.vh"

  // ------------------------------------------------------------------ registers
  localparam integer CFG_SHAPE = ROWS * 65536 + COLS;
  reg [31:0] r_prog_base, r_base_act, r_base_wgt, r_base_tbl;
  reg r_running, r_done, r_err;
  reg [3:0] r_err_src, r_err_code;
  reg r_start;
  always @(posedge i_clk) begin
    r_start <= 1'b0;
    if (i_rst) begin
      r_prog_base <= 32'd0;
      r_base_act <= 32'd0;
      r_base_wgt <= 32'd0;
      r_base_tbl <= 32'd0;
    end else if (i_reg_we) begin
      case (i_reg_addr)
        8'h00: r_start <= i_reg_wdata[0];
        8'h08: r_prog_base <= i_reg_wdata;
        8'h0c: r_base_act <= i_reg_wdata;
        8'h10: r_base_wgt <= i_reg_wdata;
        8'h14: r_base_tbl <= i_reg_wdata;
        default: ;
      endcase
    end
  end
  wire w_rst = i_rst;
  assign o_done = r_done;
  assign o_irq = r_done || r_err;

  // ------------------------------------------------------------------ fetch
  wire f_dvalid, f_busy, f_err;
  wire [127:0] f_dinstr;
  wire [1:0] f_dq;
  wire [3:0] f_err_code;
  wire [31:0] f_words;
  wire [2:0] w_qfull;
  quart_accel_fetch #(
      .CAW(CAW)
  ) u_fetch (
      .i_clk(i_clk),
      .i_rst(w_rst || r_err),
      .i_start(r_start),
      .i_prog_base(r_prog_base),
      .o_preq_valid(o_preq_valid),
      .i_preq_ready(i_preq_ready),
      .o_preq_addr(o_preq_addr),
      .i_prsp_valid(i_prsp_valid),
      .i_prsp_data(i_prsp_data),
      .o_dvalid(f_dvalid),
      .o_dinstr(f_dinstr),
      .o_dq(f_dq),
      .i_dready(!w_qfull[f_dq]),
      .o_busy(f_busy),
      .o_err(f_err),
      .o_err_code(f_err_code),
      .o_words(f_words)
  );
  wire w_unused_fbusy = &{1'b0, f_busy};

  // ------------------------------------------------------------------ instruction queues
  localparam integer QW = $clog2(QD);
  reg [127:0] r_q[0:2][0:QD-1];
  reg [QW:0] r_qhead[0:2];
  reg [QW:0] r_qtail[0:2];
  wire [2:0] w_qempty;
  wire [2:0] w_qdeq;
  wire [127:0] w_qhd[0:2];
  genvar gq;
  generate
    for (gq = 0; gq < 3; gq = gq + 1) begin : g_q
      assign w_qempty[gq] = (r_qhead[gq] == r_qtail[gq]);
      assign w_qfull[gq] = (r_qtail[gq] - r_qhead[gq]) == QD[QW:0];
      assign w_qhd[gq] = r_q[gq][r_qhead[gq][QW-1:0]];
      always @(posedge i_clk) begin
        if (w_rst || r_start) begin
          r_qhead[gq] <= {(QW + 1) {1'b0}};
          r_qtail[gq] <= {(QW + 1) {1'b0}};
        end else begin
          if (f_dvalid && f_dq == gq && !w_qfull[gq]) begin
            r_q[gq][r_qtail[gq][QW-1:0]] <= f_dinstr;
            r_qtail[gq] <= r_qtail[gq] + 1'b1;
          end
          if (w_qdeq[gq]) r_qhead[gq] <= r_qhead[gq] + 1'b1;
        end
      end
    end
  endgenerate

  // ------------------------------------------------------------------ tokens
  // l2c: load -> compute; c2l: compute -> load; c2s: compute -> store; s2c: store -> compute
  reg [15:0] r_l2c, r_c2l, r_c2s, r_s2c;
  wire w_inc_l2c, w_dec_l2c, w_inc_c2l, w_dec_c2l, w_inc_c2s, w_dec_c2s, w_inc_s2c, w_dec_s2c;
  always @(posedge i_clk) begin
    if (w_rst || r_start) begin
      r_l2c <= 16'd0;
      r_c2l <= 16'd0;
      r_c2s <= 16'd0;
      r_s2c <= 16'd0;
    end else begin
      r_l2c <= r_l2c + {15'd0, w_inc_l2c} - {15'd0, w_dec_l2c};
      r_c2l <= r_c2l + {15'd0, w_inc_c2l} - {15'd0, w_dec_c2l};
      r_c2s <= r_c2s + {15'd0, w_inc_c2s} - {15'd0, w_dec_c2s};
      r_s2c <= r_s2c + {15'd0, w_inc_s2c} - {15'd0, w_dec_s2c};
    end
  end

  // ------------------------------------------------------------------ queue executors
  // per queue: 0 idle, 1 running; the running instruction is held in r_x
  reg [2:0] r_run;
  reg [127:0] r_x[0:2];
  wire [2:0] w_xdone;
  wire [127:0] w_hl = w_qhd[0];
  wire [127:0] w_hc = w_qhd[1];
  wire [127:0] w_hs = w_qhd[2];
  wire w_go = r_running && !r_err;
  // a head may start when its pops are available
  // (a queue starts its next instruction in the cycle its current one finishes)
  wire [2:0] w_free = ~r_run | w_xdone;
  wire w_ok_l = !w_qempty[0] && w_free[0] && w_go && (!w_hl[ISA_POP_NEXT_BIT] || r_c2l != 16'd0);
  wire w_ok_c = !w_qempty[1] && w_free[1] && w_go && !r_done && (!w_hc[ISA_POP_PREV_BIT] || r_l2c != 16'd0)
              && (!w_hc[ISA_POP_NEXT_BIT] || r_s2c != 16'd0);
  wire w_ok_s = !w_qempty[2] && w_free[2] && w_go && (!w_hs[ISA_POP_PREV_BIT] || r_c2s != 16'd0);
  assign w_qdeq = {w_ok_s, w_ok_c, w_ok_l};
  assign w_dec_c2l = w_ok_l && w_hl[ISA_POP_NEXT_BIT];
  assign w_dec_l2c = w_ok_c && w_hc[ISA_POP_PREV_BIT];
  assign w_dec_s2c = w_ok_c && w_hc[ISA_POP_NEXT_BIT];
  assign w_dec_c2s = w_ok_s && w_hs[ISA_POP_PREV_BIT];
  assign w_inc_l2c = w_xdone[0] && r_x[0][ISA_PUSH_NEXT_BIT];
  assign w_inc_c2l = w_xdone[1] && r_x[1][ISA_PUSH_PREV_BIT];
  assign w_inc_c2s = w_xdone[1] && r_x[1][ISA_PUSH_NEXT_BIT];
  assign w_inc_s2c = w_xdone[2] && r_x[2][ISA_PUSH_PREV_BIT];

  // DMA engines (an instruction moves at most one buffer's bytes: 2^(BUF_AW_MAX + 1) 4-bit elements)
  localparam integer AW_IW = INP_AW > WGT_AW ? INP_AW : WGT_AW;
  localparam integer AW_TA = TBL_AW > ACC_AW ? TBL_AW : ACC_AW;
  localparam integer AW_IWTA = AW_IW > AW_TA ? AW_IW : AW_TA;
  localparam integer BUF_AW_MAX = AW_IWTA > OUT_AW ? AW_IWTA : OUT_AW;
  wire [2:0] w_dma_start = {w_ok_s, w_ok_c && w_hc[4:0] == OP_LOADT, w_ok_l};
  wire [2:0] w_dma_done, w_dma_busy;
  wire [31:0] w_dma_bytes[0:2];
  wire [2:0] w_bwe, w_bre;
  wire [3*20-1:0] w_bwaddr, w_braddr;
  wire [23:0] w_bwdata;
  wire [7:0] w_out_rdata;
  wire [127:0] w_dma_instr[0:2];
  assign w_dma_instr[0] = w_hl;
  assign w_dma_instr[1] = w_hc;
  assign w_dma_instr[2] = w_hs;
  genvar gd;
  generate
    for (gd = 0; gd < 3; gd = gd + 1) begin : g_dma
      wire [127:0] w_di = w_dma_instr[gd];
      wire w_unused_di = &{1'b0, w_di[11:0], w_di[45:16] == 30'd0};
      // segments lie in the SoC's 8 MiB XMEM (fpga/soc/map.ts XMEM_BYTES): 23-bit offsets
      quart_accel_dma #(
          .EW(BUF_AW_MAX + 3),
          .STORE(gd == 2 ? 1 : 0),
          .SEG_AW(23),
          .BAW(BUF_AW_MAX)
      ) u_dma (
          .i_clk(i_clk),
          .i_rst(w_rst || r_start),
          .i_start(w_dma_start[gd]),
          .i_store(gd == 2),
          .i_seg(w_di[LOAD_SEG_LSB+:2]),
          .i_ebits(w_di[LOAD_EBITS_LSB+:2]),
          .i_ext(w_di[LOAD_EXT_LSB+:30]),
          .i_addr(w_di[LOAD_ADDR_LSB+:20]),
          .i_n0(w_di[LOAD_N0_LSB+:11]),
          .i_n1(w_di[LOAD_N1_LSB+:11]),
          .i_n2(w_di[LOAD_N2_LSB+:11]),
          .i_pitch(w_di[LOAD_PITCH_LSB+:15]),
          .i_rows(w_di[LOAD_ROWS_LSB+:14]),
          .i_base_act(r_base_act),
          .i_base_wgt(r_base_wgt),
          .i_base_tbl(r_base_tbl),
          .o_busy(w_dma_busy[gd]),
          .o_done(w_dma_done[gd]),
          .o_bytes(w_dma_bytes[gd]),
          .o_req_valid(o_mreq_valid[gd]),
          .i_req_ready(i_mreq_ready[gd]),
          .o_req_addr(o_mreq_addr[32*gd+:32]),
          .o_req_len(o_mreq_len[16*gd+:16]),
          .o_req_we(o_mreq_we[gd]),
          .o_req_first(o_mreq_first[gd]),
          .o_req_seg(o_mreq_seg[2*gd+:2]),
          .i_rvalid(i_mrvalid[gd]),
          .i_rdata(i_mrdata[8*gd+:8]),
          .o_wvalid(o_mwvalid[gd]),
          .i_wready(i_mwready[gd]),
          .o_wdata(o_mwdata[8*gd+:8]),
          .o_wmask(o_mwmask[2*gd+:2]),
          .o_bwe(w_bwe[gd]),
          .o_bwaddr(w_bwaddr[20*gd+:20]),
          .o_bwdata(w_bwdata[8*gd+:8]),
          .o_bre(w_bre[gd]),
          .o_braddr(w_braddr[20*gd+:20]),
          .i_brdata(w_out_rdata)
      );
    end
  endgenerate
  wire w_unused_dma = &{1'b0, w_dma_busy, w_bwaddr[19:INP_AW], w_bwaddr[39:20+ACC_AW], w_bre[1:0], w_braddr[39:0], w_bwe[2], w_bwaddr[59:40],
                        w_bwdata[23:16], w_braddr[59:40+OUT_AW]};

  // buffer selected by the running DMA instruction
  wire [2:0] w_lbuf = r_x[0][LOAD_BUF_LSB+:3];
  wire [2:0] w_tbuf = r_x[1][LOADT_BUF_LSB+:3];

  // compute unit
  wire w_cu_start = w_ok_c && (w_hc[4:0] == OP_CCFG || w_hc[4:0] == OP_CONV || w_hc[4:0] == OP_VCFG
                    || w_hc[4:0] == OP_VEC || w_hc[4:0] == OP_RCFG || w_hc[4:0] == OP_RESIZE
                    || w_hc[4:0] == OP_NORM || w_hc[4:0] == OP_SMAX);
  wire cu_busy, cu_done, cu_err;
  wire [3:0] cu_err_code;
  wire [47:0] cu_macs;
  wire [31:0] cu_vec, cu_tap_cycles;
  quart_accel_compute #(
      .ROWS(ROWS),
      .COLS(COLS),
      .INP_AW(INP_AW),
      .WGT_AW(WGT_AW),
      .TBL_AW(TBL_AW),
      .ACC_AW(ACC_AW),
      .OUT_AW(OUT_AW),
      .DEC_AW(DEC_AW),
      .N_DSP(N_DSP),
      .HAS_TRANSFORMER(HAS_TRANSFORMER)
  ) u_cu (
      .i_clk(i_clk),
      .i_rst(w_rst || r_start),
      .i_start(w_cu_start),
      .i_instr(w_hc),
      .o_busy(cu_busy),
      .o_done(cu_done),
      .o_err(cu_err),
      .o_err_code(cu_err_code),
      .o_macs(cu_macs),
      .o_vec_outputs(cu_vec),
      .o_pass_cycles(cu_tap_cycles),
      .i_inp_we(w_bwe[0] && w_lbuf == BUF_INP),
      .i_inp_waddr(w_bwaddr[INP_AW-1:0]),
      .i_inp_wdata(w_bwdata[7:0]),
      .i_wgt_we(w_bwe[0] && w_lbuf == BUF_WGT),
      .i_wgt_waddr(w_bwaddr[WGT_AW-1:0]),
      .i_wgt_wdata(w_bwdata[7:0]),
      .i_tbl_we(w_bwe[1] && w_tbuf == BUF_TBL),
      .i_tbl_waddr(w_bwaddr[20+:TBL_AW]),
      .i_tbl_wdata(w_bwdata[15:8]),
      .i_acc_we(w_bwe[1] && w_tbuf == BUF_ACC),
      .i_acc_waddr(w_bwaddr[20+:ACC_AW]),
      .i_acc_wdata(w_bwdata[15:8]),
      .i_out_re(w_bre[2]),
      .i_out_raddr(w_braddr[40+:OUT_AW]),
      .o_out_rdata(w_out_rdata)
  );
  wire w_unused_cu = &{1'b0, cu_busy};

  // ------------------------------------------------------------------ execution control
  wire [4:0] w_xop = r_x[1][4:0];
  assign w_xdone[0] = r_run[0] && w_dma_done[0];
  assign w_xdone[2] = r_run[2] && w_dma_done[2];
  assign w_xdone[1] = r_run[1] && ((w_xop == OP_LOADT) ? w_dma_done[1]
                    : (w_xop == OP_NOP || w_xop == OP_FINISH) ? 1'b1 : cu_done);

  // performance counters
  reg [31:0] p_cycles, p_busy[0:2], p_stall[0:2], p_bytes[0:2], p_disp;
  integer i;
  always @(posedge i_clk) begin
    if (w_rst) begin
      r_running <= 1'b0;
      r_done <= 1'b0;
      r_err <= 1'b0;
      r_err_src <= 4'd0;
      r_err_code <= 4'd0;
      r_run <= 3'b000;
    end else if (r_start) begin
      r_running <= 1'b1;
      r_done <= 1'b0;
      r_err <= 1'b0;
      r_err_src <= 4'd0;
      r_err_code <= 4'd0;
      r_run <= 3'b000;
      p_cycles <= 32'd0;
      p_disp <= 32'd0;
      for (i = 0; i < 3; i = i + 1) begin
        p_busy[i] <= 32'd0;
        p_stall[i] <= 32'd0;
        p_bytes[i] <= 32'd0;
      end
    end else begin
      if (r_running) p_cycles <= p_cycles + 32'd1;
      if (f_dvalid && !w_qfull[f_dq]) p_disp <= p_disp + 32'd1;
      for (i = 0; i < 3; i = i + 1) begin
        // DMA bytes, counted as each LOAD / LOADT / STORE completes
        if (w_xdone[i] && (i != 1 || w_xop == OP_LOADT)) p_bytes[i] <= p_bytes[i] + w_dma_bytes[i];
        if (r_run[i]) p_busy[i] <= p_busy[i] + 32'd1;
        else if (r_running && !w_qempty[i] && !w_qdeq[i]) p_stall[i] <= p_stall[i] + 32'd1;
      end
      // end, then start (a start in the same cycle keeps the queue running)
      for (i = 0; i < 3; i = i + 1) if (w_xdone[i]) r_run[i] <= 1'b0;
      if (w_ok_l) begin
        r_run[0] <= 1'b1;
        r_x[0] <= w_hl;
        if (w_hl[LOAD_BUF_LSB+:3] != BUF_INP && w_hl[LOAD_BUF_LSB+:3] != BUF_WGT) begin
          r_err <= 1'b1;
          r_err_src <= 4'd2;
          r_err_code <= 4'd1;
        end
      end
      if (w_ok_c) begin
        r_run[1] <= 1'b1;
        r_x[1] <= w_hc;
        if (w_hc[4:0] == OP_LOADT) begin
          if (w_hc[LOADT_BUF_LSB+:3] != BUF_TBL && w_hc[LOADT_BUF_LSB+:3] != BUF_ACC) begin
            r_err <= 1'b1;
            r_err_src <= 4'd3;
            r_err_code <= 4'd1;
          end
        end
      end
      if (w_ok_s) begin
        r_run[2] <= 1'b1;
        r_x[2] <= w_hs;
        if (w_hs[STORE_BUF_LSB+:3] != BUF_OUT || w_hs[STORE_SEG_LSB+:2] != SEG_ACT) begin
          r_err <= 1'b1;
          r_err_src <= 4'd4;
          r_err_code <= 4'd1;
        end
      end
      if (w_xdone[1] && w_xop == OP_FINISH) begin
        r_done <= 1'b1;
        r_running <= 1'b0;
      end
      if (f_err) begin
        r_err <= 1'b1;
        r_err_src <= 4'd1;
        r_err_code <= f_err_code;
      end
      if (cu_err) begin
        r_err <= 1'b1;
        r_err_src <= 4'd3;
        r_err_code <= cu_err_code;
      end
      if (r_err) r_running <= 1'b0;
    end
  end

  always @* begin
    case (i_reg_addr)
      8'h04: o_reg_rdata = {16'd0, r_err_code, r_err_src, 5'd0, r_err, r_done, r_running};
      8'h08: o_reg_rdata = r_prog_base;
      8'h0c: o_reg_rdata = r_base_act;
      8'h10: o_reg_rdata = r_base_wgt;
      8'h14: o_reg_rdata = r_base_tbl;
      8'h18: o_reg_rdata = ISA_HASH;
      8'h1c: o_reg_rdata = CFG_SHAPE;
      8'h20: o_reg_rdata = p_cycles;
      8'h24: o_reg_rdata = p_busy[0];
      8'h28: o_reg_rdata = p_stall[0];
      8'h2c: o_reg_rdata = p_busy[1];
      8'h30: o_reg_rdata = p_stall[1];
      8'h34: o_reg_rdata = p_busy[2];
      8'h38: o_reg_rdata = p_stall[2];
      8'h3c: o_reg_rdata = cu_macs[31:0];
      8'h40: o_reg_rdata = {16'd0, cu_macs[47:32]};
      8'h44: o_reg_rdata = p_bytes[0];
      8'h48: o_reg_rdata = p_bytes[1];
      8'h4c: o_reg_rdata = p_bytes[2];
      8'h50: o_reg_rdata = p_disp;
      8'h54: o_reg_rdata = f_words;
      8'h58: o_reg_rdata = cu_vec;
      8'h5c: o_reg_rdata = cu_tap_cycles;
      8'h60: o_reg_rdata = {r_s2c[7:0], r_c2s[7:0], r_c2l[7:0], r_l2c[7:0]};
      default: o_reg_rdata = 32'd0;
    endcase
  end
endmodule
