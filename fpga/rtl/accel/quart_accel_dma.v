// DMA engine of the accelerator core: one LOAD/LOADT/STORE instruction, a 3-D strided tile between an
// external segment and an on-chip buffer (docs/isa.md, LOAD):
//   rb = ceil(n0*eb/8); for p < n2, r < n1: segment elements ext + (p*rows + r)*pitch + [0, n0)
//   <-> buffer row at addr + (p*n1 + r)*rb. 4-bit elements: element 2k is the low nibble of byte k.
// Every row is one burst on the memory port: a request (byte address, byte count, segment; o_req_first
// on the first row of the instruction, where the memory may charge its access latency), then the
// bytes: read data arrive on i_rvalid (always accepted), write data leave with o_wvalid/i_wready and
// a nibble mask (rows at odd 4-bit offsets keep the neighbouring nibbles). One byte per cycle.
// Loads write whole buffer bytes (the pad nibble of an odd-length 4-bit row is 0, as the simulator).
`default_nettype none

module quart_accel_dma #(
    parameter integer EW = 17,     // element counter bits: a buffer's 4-bit elements (2^(largest buffer AW + 1)) fit
    parameter integer STORE = 0,   // 1: runs STOREs only, 0: LOAD/LOADT only
    parameter integer SEG_AW = 23, // segment byte offsets (a segment lies in the SoC's 8 MiB XMEM)
    parameter integer BAW = 14     // buffer byte addresses (the largest buffer)
) (
    input  wire           i_clk,
    input  wire           i_rst,
    // instruction (stored fields: n0, n1, n2 are count - 1)
    input  wire           i_start,
    input  wire           i_store,
    input  wire [1:0]     i_seg,
    input  wire [1:0]     i_ebits,
    input  wire [29:0]    i_ext,
    input  wire [19:0]    i_addr,
    input  wire [10:0]    i_n0,
    input  wire [10:0]    i_n1,
    input  wire [10:0]    i_n2,
    input  wire [14:0]    i_pitch,
    input  wire [13:0]    i_rows,
    input  wire [31:0]    i_base_act,
    input  wire [31:0]    i_base_wgt,
    input  wire [31:0]    i_base_tbl,
    output wire           o_busy,
    output wire           o_done,     // the last cycle of the instruction (a new one may start)
    output wire [31:0]    o_bytes,    // with o_done: ceil(n0 * n1 * n2 * bits / 8), as the simulator counts
    // memory port
    output reg            o_req_valid,
    input  wire           i_req_ready,
    output reg  [31:0]    o_req_addr,
    output reg  [15:0]    o_req_len,
    output reg            o_req_we,
    output reg            o_req_first,
    output reg  [1:0]     o_req_seg,
    input  wire           i_rvalid,
    input  wire [7:0]     i_rdata,
    output wire           o_wvalid,
    input  wire           i_wready,
    output wire [7:0]     o_wdata,
    output wire [1:0]     o_wmask,
    // buffer port
    output wire           o_bwe,
    output wire [19:0] o_bwaddr,
    output wire [7:0]     o_bwdata,
    output wire           o_bre,
    output wire [19:0] o_braddr,
    input  wire [7:0]     i_brdata
);
  localparam [2:0] S_IDLE = 3'd0, S_ROW = 3'd1, S_REQ = 3'd2, S_LOAD = 3'd3, S_TAIL = 3'd4,
                   S_SWR = 3'd6, S_NEXT = 3'd7;
  reg [2:0] r_state;
  wire r_store = (STORE != 0);
  reg r_first;
  reg [1:0] r_seg, r_eb;
  reg [11:0] r_n0, r_n1, r_n2, r_r, r_p;
  // element offsets in the segment (4-bit elements: 2 per byte)
  localparam integer XW = SEG_AW + 1;
  reg [XW-1:0] r_row_e, r_plane_e, r_plane_step;
  // the plane step rows * pitch by shift-and-add, two bits of rows per cycle from the start (done after
  // ceil(bits(rows) / 2) cycles, before the first plane's rows end unless a plane is one short row)
  reg [XW-1:0] r_ps_a;
  reg [13:0] r_ps_b;
  wire w_plane_end = (r_r + 12'd1 == r_n1);
  wire w_ps_wait = w_plane_end && (r_p + 12'd1 != r_n2) && (r_ps_b != 14'd0);
  reg [14:0] r_pitch;
  reg [BAW-1:0] r_baddr;
  reg [13:0] r_rb;  // buffer row bytes
  wire [15:0] w_rb16 = {2'b00, r_rb};
  reg [SEG_AW-1:0] r_fb;  // first segment byte of the row
  reg [15:0] r_nb, r_k;  // segment bytes of the row, byte index
  reg r_shift;  // 4-bit row at an odd element: buffer nibbles straddle segment bytes
  reg [7:0] r_prev;
  // elements of the rows done (n0 per row: no multiplier for the byte count); an instruction moves at most a
  // buffer's bytes (the simulator checks it)
  reg [EW-1:0] r_elems;

  wire w_e4 = (r_eb == 2'd0);
  wire w_n0_odd = r_n0[0];
  // bit position of the row's first and one-past-last element (element widths 4, 8, 16, 32)
  wire [XW+1:0] w_bit0 = {2'b00, r_row_e} << (3'd2 + {1'b0, r_eb});
  wire [XW+1:0] w_bit1 = ({2'b00, r_row_e} + {{(XW - 10) {1'b0}}, r_n0}) << (3'd2 + {1'b0, r_eb});
  wire [SEG_AW-1:0] w_fb = w_bit0[XW+1:3];
  wire [SEG_AW-1:0] w_lb = w_bit1[XW+1:3] + {{(SEG_AW - 1) {1'b0}}, |w_bit1[2:0]};  // one past the last byte
  wire [SEG_AW-1:0] w_nb = w_lb - w_fb;
  // a store writes the ACT segment only (WGT and TBL are read-only)
  wire [31:0] w_base = (STORE != 0 || r_seg == 2'd0) ? i_base_act : r_seg == 2'd1 ? i_base_wgt : i_base_tbl;

  // ---- load: segment byte k -> buffer
  wire w_last_k = (r_k == r_nb - 16'd1);
  wire [7:0] w_ld_byte = r_shift ? {i_rdata[3:0], r_prev[7:4]}
                       : (w_e4 && w_n0_odd && w_last_k) ? {4'h0, i_rdata[3:0]} : i_rdata;
  wire w_ld_we = (r_state == S_LOAD) && i_rvalid && !(r_shift && r_k == 16'd0);
  wire [BAW-1:0] w_ld_addr = r_baddr + r_k[BAW-1:0] - {{(BAW - 1) {1'b0}}, r_shift};
  wire w_tail_we = (r_state == S_TAIL);
  assign o_bwe = w_ld_we || w_tail_we;
  wire [BAW-1:0] w_bw = w_tail_we ? r_baddr + w_rb16[BAW-1:0] - {{(BAW - 1) {1'b0}}, 1'b1} : w_ld_addr;
  assign o_bwaddr = {{(20 - BAW) {1'b0}}, w_bw};
  assign o_bwdata = w_tail_we ? {4'h0, r_prev[7:4]} : w_ld_byte;

  // ---- store: buffer byte (k, clamped to the row for shifted rows) -> segment byte k
  wire [15:0] w_k_next = r_k + 16'd1;
  wire [15:0] w_rd_k = (r_state == S_SWR) ? w_k_next : 16'd0;
  wire [15:0] w_rd_kc = (r_shift && w_rd_k >= {2'b00, r_rb}) ? {2'b00, r_rb} - 16'd1 : w_rd_k;
  wire w_st_adv = (r_state == S_SWR) && i_wready;
  // the row's first byte is read while the request is made
  assign o_bre = (r_state == S_ROW && r_store) || (w_st_adv && w_k_next != r_nb);
  wire [BAW-1:0] w_br = r_baddr + w_rd_kc[BAW-1:0];
  assign o_braddr = {{(20 - BAW) {1'b0}}, w_br};
  assign o_wvalid = (r_state == S_SWR);
  assign o_wdata = r_shift ? {i_brdata[3:0], r_prev[7:4]} : i_brdata;
  wire [16:0] w_2k = {r_k, 1'b0};
  assign o_wmask = r_shift ? {w_2k < {5'd0, r_n0}, r_k != 16'd0}
                 : (w_e4 && w_n0_odd && w_last_k) ? 2'b01 : 2'b11;

  assign o_busy = (r_state != S_IDLE);
  wire [EW-1:0] w_elems = r_elems + {{(EW - 12) {1'b0}}, r_n0};
  wire [EW+1:0] w_bytes = r_eb == 2'd0 ? {2'b00, w_elems[EW-1:1]} + {{(EW + 1) {1'b0}}, w_elems[0]}
                        : r_eb == 2'd1 ? {2'b00, w_elems} : r_eb == 2'd2 ? {1'b0, w_elems, 1'b0} : {w_elems, 2'b00};
  assign o_bytes = {{(30 - EW) {1'b0}}, w_bytes};
  assign o_done = (r_state == S_NEXT) && (r_r + 12'd1 == r_n1) && (r_p + 12'd1 == r_n2);
  wire w_unused = &{1'b0, w_nb[SEG_AW-1:16], w_bit0[2:0], r_k[15:BAW], w_rd_kc[15:BAW], w_rb16[15:BAW], i_ext[29:XW],
                    i_addr[19:BAW], i_store};

  always @(posedge i_clk) begin
    if (i_rst) begin
      r_state <= S_IDLE;
      o_req_valid <= 1'b0;
    end else begin
      if (r_ps_b != 14'd0) begin
        r_plane_step <= r_plane_step + (r_ps_b[0] ? r_ps_a : {XW{1'b0}}) + (r_ps_b[1] ? {r_ps_a[XW-2:0], 1'b0} : {XW{1'b0}});
        r_ps_a <= {r_ps_a[XW-3:0], 2'b00};
        r_ps_b <= {2'b00, r_ps_b[13:2]};
      end
      case (r_state)
        S_IDLE: ;
        S_ROW: begin
          r_fb <= w_fb;
          r_nb <= w_nb[15:0];
          r_shift <= w_e4 && r_row_e[0];
          r_state <= S_REQ;
          o_req_valid <= 1'b1;
          o_req_addr <= w_base + {{(32 - SEG_AW) {1'b0}}, w_fb};
          o_req_len <= w_nb[15:0];
          o_req_we <= r_store;
          o_req_first <= r_first;
          o_req_seg <= r_seg;
        end
        S_REQ:
        if (i_req_ready) begin
          o_req_valid <= 1'b0;
          r_first <= 1'b0;
          r_k <= 16'd0;
          r_state <= r_store ? S_SWR : S_LOAD;
        end
        S_LOAD:
        if (i_rvalid) begin
          r_prev <= i_rdata;
          r_k <= w_k_next;
          if (w_last_k) r_state <= (r_shift && w_n0_odd) ? S_TAIL : S_NEXT;
        end
        S_TAIL: r_state <= S_NEXT;
        S_SWR:
        if (i_wready) begin
          r_prev <= i_brdata;
          r_k <= w_k_next;
          if (w_k_next == r_nb) r_state <= S_NEXT;
        end
        default:  // S_NEXT
        if (!w_ps_wait) begin
          r_baddr <= r_baddr + w_rb16[BAW-1:0];
          r_elems <= w_elems;
          if (w_plane_end) begin
            r_r <= 12'd0;
            r_p <= r_p + 12'd1;
            r_plane_e <= r_plane_e + r_plane_step;
            r_row_e <= r_plane_e + r_plane_step;
            if (r_p + 12'd1 == r_n2) r_state <= S_IDLE;
            else r_state <= S_ROW;
          end else begin
            r_r <= r_r + 12'd1;
            r_row_e <= r_row_e + {{(XW - 15) {1'b0}}, r_pitch};
            r_state <= S_ROW;
          end
        end
      endcase
      if (i_start && (r_state == S_IDLE || o_done)) begin
        r_seg <= i_seg;
        r_eb <= i_ebits;
        r_n0 <= {1'b0, i_n0} + 12'd1;
        r_n1 <= {1'b0, i_n1} + 12'd1;
        r_n2 <= {1'b0, i_n2} + 12'd1;
        r_pitch <= i_pitch;
        r_plane_step <= {XW{1'b0}};
        r_ps_a <= {{(XW - 15) {1'b0}}, i_pitch};
        r_ps_b <= i_rows;
        r_row_e <= i_ext[XW-1:0];
        r_plane_e <= i_ext[XW-1:0];
        r_baddr <= i_addr[BAW-1:0];
        case (i_ebits)
          2'd0: r_rb <= ({3'b000, i_n0} + 14'd2) >> 1;  // ceil((n0_stored + 1) / 2)
          2'd1: r_rb <= {3'b000, i_n0} + 14'd1;
          2'd2: r_rb <= ({3'b000, i_n0} + 14'd1) << 1;
          default: r_rb <= ({3'b000, i_n0} + 14'd1) << 2;
        endcase
        r_r <= 12'd0;
        r_p <= 12'd0;
        r_elems <= {EW{1'b0}};
        r_first <= 1'b1;
        r_state <= S_ROW;
              end
    end
  end
  wire w_unused_fb = &{1'b0, r_fb, r_prev[3:0]};
endmodule
