// Fetch unit of the accelerator core: reads 128-bit program words, expands LOOP/LPATCH exactly as
// compiler/isa/loops.ts does and hands every other instruction, patched, to the dispatcher.
//
// Program words come from the program port (one word per request): a prefetcher reads them in order,
// up to 2^(CAW-2) words ahead of the dispatch point, into a direct-mapped word cache of 2^CAW entries
// that doubles as the loop buffer: a loop body (at most 256 words, nested loops included) is fetched
// once and replayed from the cache (CAW >= 9 keeps a whole body and the words ahead resident).
//
// Loop expansion: a stack of LD frames (body start/end, count, iteration) and a table of NPT patches
// (absolute target word, field number, mode, stride, frame). A dispatched word at address a gets,
// for every live patch targeting a, stride * (LINEAR ? iter : iter & 1) added at the field's LSB
// (isa_field_lsb). Patches are scanned one per cycle. Nested bodies are replayed word by word, so an
// outer patch reaches every dispatch of the inner word, as the reference's body copies do.
`default_nettype none

module quart_accel_fetch #(
    parameter integer CAW = 9,   // word cache (loop buffer) address bits
    parameter integer LD = 4,    // loop nesting depth
    parameter integer NPT = 128  // live patches (all levels)
) (
    input  wire         i_clk,
    input  wire         i_rst,
    input  wire         i_start,
    input  wire [31:0]  i_prog_base,
    // program port
    output reg          o_preq_valid,
    input  wire         i_preq_ready,
    output reg  [31:0]  o_preq_addr,
    input  wire         i_prsp_valid,
    input  wire [127:0] i_prsp_data,
    // dispatch
    output wire         o_dvalid,
    output wire [127:0] o_dinstr,
    output reg  [1:0]   o_dq,       // 0 load, 1 compute, 2 store
    input  wire         i_dready,
    output wire         o_busy,
    output reg          o_err,
    output reg  [3:0]   o_err_code,
    output reg  [31:0]  o_words    // program words read from the program port
);
`include "isa_defs.vh"

  localparam [3:0] F_IDLE = 4'd0, F_RD = 4'd1, F_LOOK = 4'd2,
                   F_WORD = 4'd5, F_PATCH = 4'd6, F_DISP = 4'd7, F_END = 4'd8, F_HALT = 4'd9,
                   F_MUL = 4'd10;
  localparam integer LDW = $clog2(LD);
  localparam integer PW = $clog2(NPT + 1);

  reg [3:0] r_state;
  reg [15:0] r_pc;
  reg [127:0] r_w;

  // word cache
  reg [127:0] r_cdata[0:(1<<CAW)-1];
  // a word's tag is its address above the index (16 - CAW bits: one EBR at CAW = 9)
  reg [15-CAW:0] r_ctag[0:(1<<CAW)-1];
  reg [127:0] r_cq;
  reg [15:0] r_cq_tag;  // {tag, index} of the word read
  reg r_cq_valid;

  // loop frames
  reg [15:0] r_fstart[0:LD-1];
  reg [15:0] r_fend[0:LD-1];
  reg [16:0] r_fcount[0:LD-1];
  reg [16:0] r_fiter[0:LD-1];
  reg [PW-1:0] r_fpbase[0:LD-1];
  reg [LDW:0] r_depth;
  reg [5:0] r_np_left;

  // patches: one table entry {level, stride, mode, field, target word} per LPATCH, in block RAM; the
  // scan reads entry r_pe + 1 while it applies entry r_pe
  localparam integer PEW = LDW + 32 + 1 + 6 + 16;
  localparam integer PAW = $clog2(NPT);
  reg [PEW-1:0] r_pmem[0:NPT-1];
  reg [PEW-1:0] r_pq;
  reg [PW-1:0] r_npt, r_pe;

  wire [4:0] w_op = r_w[4:0];
  wire [LDW-1:0] w_top = r_depth[LDW-1:0] - {{(LDW - 1) {1'b0}}, 1'b1};
  wire [15:0] w_ptarget = r_pq[15:0];
  wire [5:0] w_pfield = r_pq[21:16];
  wire w_pmode = r_pq[22];
  wire [31:0] w_pstride = r_pq[54:23];
  wire [LDW-1:0] w_plvl = r_pq[PEW-1-:LDW];
  wire [16:0] w_iter = r_fiter[w_plvl];
  wire [16:0] w_step = w_pmode ? {16'd0, w_iter[0]} : w_iter;
  wire [6:0] w_lsb = isa_field_lsb(w_op, w_pfield);
  wire w_hit = (w_ptarget == r_pc) && (w_lsb != 7'd127);
  // a hit's stride * step by shift-and-add, one step bit per cycle (F_MUL; a toggle's step is 0 or 1),
  // then added at the field's LSB: no 32 x 17 multiplier
  reg [49:0] r_macc, r_mcand;
  reg [16:0] r_mplier;
  reg [6:0] r_mlsb;
  wire [127:0] w_delta128 = {{78{r_macc[49]}}, r_macc} << r_mlsb;
  wire [PW-1:0] w_prd = (r_state == F_PATCH) ? r_pe + 1'b1 : (r_state == F_MUL) ? r_pe : {PW{1'b0}};
  wire w_unused_prd = &{1'b0, w_prd[PW-1:PAW]};
  reg r_pwe;
  reg [PEW-1:0] r_pwdata;
  always @(posedge i_clk) begin
    if (r_pwe) r_pmem[r_npt[PAW-1:0]] <= r_pwdata;
    r_pq <= r_pmem[w_prd[PAW-1:0]];
  end
  assign o_dvalid = (r_state == F_DISP);
  assign o_dinstr = r_w;
  assign o_busy = (r_state != F_IDLE) && (r_state != F_HALT);

  always @* begin
    case (w_op)
      OP_LOAD: o_dq = 2'd0;
      OP_STORE: o_dq = 2'd2;
      default: o_dq = 2'd1;
    endcase
  end

  // prefetcher: the next word to read, a request in flight
  localparam [15:0] AHEAD = 16'd1 << (CAW - 2);
  reg [15:0] r_pf_pc;
  reg r_pf_wait;
  wire [15:0] w_ahead = r_pf_pc - r_pc;
  always @(posedge i_clk) begin
    r_cq <= r_cdata[r_pc[CAW-1:0]];
    r_cq_tag <= {r_ctag[r_pc[CAW-1:0]], r_pc[CAW-1:0]};
    // A word is cached iff its tag matches and it was prefetched in this run (words are prefetched in
    // order from 0, so an older run's tag at that index has been overwritten): no valid bits. A word
    // written in this very cycle is not counted yet (read-before-write) and is looked up again.
    r_cq_valid <= (r_pc < r_pf_pc);
    if (r_pf_wait && i_prsp_valid) begin
      r_cdata[r_pf_pc[CAW-1:0]] <= i_prsp_data;
      r_ctag[r_pf_pc[CAW-1:0]] <= r_pf_pc[15:CAW];
    end
  end
  always @(posedge i_clk) begin
    if (i_rst || i_start || r_state == F_HALT || r_state == F_IDLE) begin
      o_preq_valid <= 1'b0;
      r_pf_wait <= 1'b0;
      if (i_rst || i_start) begin
        r_pf_pc <= 16'd0;
        o_words <= 32'd0;
      end
    end else if (o_preq_valid) begin
      if (i_preq_ready) begin
        o_preq_valid <= 1'b0;
        r_pf_wait <= 1'b1;
      end
    end else if (r_pf_wait) begin
      if (i_prsp_valid) begin
        r_pf_wait <= 1'b0;
        r_pf_pc <= r_pf_pc + 16'd1;
        o_words <= o_words + 32'd1;
        if (w_ahead + 16'd1 < AHEAD) begin
          o_preq_valid <= 1'b1;
          o_preq_addr <= i_prog_base + {12'd0, r_pf_pc + 16'd1, 4'd0};
        end
      end
    end else if (w_ahead < AHEAD) begin
      o_preq_valid <= 1'b1;
      o_preq_addr <= i_prog_base + {12'd0, r_pf_pc, 4'd0};
    end
  end

  task automatic fail(input [3:0] code);
    begin
      o_err <= 1'b1;
      o_err_code <= code;
      r_state <= F_HALT;
    end
  endtask

  always @(posedge i_clk) begin
    if (i_rst) begin
      r_state <= F_IDLE;
      o_err <= 1'b0;
      o_err_code <= 4'd0;
      r_pwe <= 1'b0;
    end else if (i_start) begin
      r_pwe <= 1'b0;
      r_state <= F_RD;
      r_pc <= 16'd0;
      r_depth <= {(LDW + 1) {1'b0}};
      r_npt <= {PW{1'b0}};
      r_np_left <= 6'd0;
      o_err <= 1'b0;
      o_err_code <= 4'd0;
    end else begin
      // the LPATCH entry is written at r_npt, then counted
      r_pwe <= 1'b0;
      if (r_pwe) r_npt <= r_npt + 1'b1;
      case (r_state)
        F_RD: r_state <= F_LOOK;  // cache read of r_pc in flight
        F_LOOK:
        if (r_cq_valid && r_cq_tag == r_pc) begin
          r_w <= r_cq;
          r_state <= F_WORD;
        end else r_state <= F_RD;  // not prefetched yet
        F_WORD:
        if (r_np_left != 6'd0) begin
          if (w_op != OP_LPATCH || r_npt == NPT[PW-1:0]) fail(4'd2);
          else begin
            r_pwe <= 1'b1;
            r_pwdata <= {w_top, r_w[LPATCH_STRIDE_LSB+:32], r_w[LPATCH_MODE_LSB], r_w[LPATCH_FIELD_LSB+:6],
                         r_fstart[w_top] + {8'd0, r_w[LPATCH_INDEX_LSB+:8]}};
            r_np_left <= r_np_left - 6'd1;
            r_pc <= r_pc + 16'd1;
            r_state <= F_RD;
          end
        end else if (w_op == OP_LOOP) begin
          if (r_depth == LD[LDW:0]) fail(4'd1);
          else begin
            r_fstart[r_depth[LDW-1:0]] <= r_pc + 16'd1 + {10'd0, r_w[LOOP_PATCHES_LSB+:6]};
            r_fend[r_depth[LDW-1:0]] <= r_pc + 16'd2 + {10'd0, r_w[LOOP_PATCHES_LSB+:6]}
                                      + {8'd0, r_w[LOOP_BODY_LSB+:8]};
            r_fcount[r_depth[LDW-1:0]] <= {1'b0, r_w[LOOP_COUNT_LSB+:16]} + 17'd1;
            r_fiter[r_depth[LDW-1:0]] <= 17'd0;
            r_fpbase[r_depth[LDW-1:0]] <= r_npt;
            r_depth <= r_depth + 1'b1;
            r_np_left <= r_w[LOOP_PATCHES_LSB+:6];
            r_pc <= r_pc + 16'd1;
            r_state <= F_RD;
          end
        end else if (w_op == OP_LPATCH || w_op > OP_SMAX) fail(4'd3);
        else begin
          r_pe <= {PW{1'b0}};
          r_state <= (r_npt == {PW{1'b0}}) ? F_DISP : F_PATCH;
        end
        F_PATCH: begin
          r_pe <= r_pe + 1'b1;
          if (w_hit) begin
            r_macc <= 50'd0;
            r_mcand <= {{18{w_pstride[31]}}, w_pstride};
            r_mplier <= w_step;
            r_mlsb <= w_lsb;
            r_state <= F_MUL;
          end else if (r_pe + 1'b1 == r_npt) r_state <= F_DISP;
        end
        F_MUL:
        if (r_mplier == 17'd0) begin
          r_w <= r_w + w_delta128;
          r_state <= (r_pe == r_npt) ? F_DISP : F_PATCH;
        end else begin
          if (r_mplier[0]) r_macc <= r_macc + r_mcand;
          r_mcand <= {r_mcand[48:0], 1'b0};
          r_mplier <= {1'b0, r_mplier[16:1]};
        end
        F_DISP:
        if (i_dready) begin
          if (w_op == OP_FINISH) r_state <= F_HALT;
          else begin
            r_pc <= r_pc + 16'd1;
            r_state <= F_END;
          end
        end
        F_END:
        if (r_depth != {(LDW + 1) {1'b0}} && r_pc == r_fend[w_top]) begin
          if (r_fiter[w_top] + 17'd1 == r_fcount[w_top]) begin
            r_depth <= r_depth - 1'b1;
            r_npt <= r_fpbase[w_top];
          end else begin
            r_fiter[w_top] <= r_fiter[w_top] + 17'd1;
            r_pc <= r_fstart[w_top];
          end
        end else r_state <= F_RD;
        default: ;  // F_IDLE, F_HALT
      endcase
    end
  end
endmodule
