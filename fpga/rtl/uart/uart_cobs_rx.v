// Frame receiver for the quart wire protocol: COBS decoding and the CRC-32 check of every received
// frame in hardware, so the CPU only stores decoded bytes (at 3 Mbaud a byte lasts 80 cycles, less
// than the CPU spends on COBS + a software CRC-32 per byte).
// Per raw byte it emits at most one entry: a decoded byte {0, data}, or at a 0x00 delimiter that ends
// a non-empty frame a marker {1, 7'd0, ok}. ok: the COBS blocks ended at the delimiter and the CRC-32
// (ISO-HDLC) over the decoded bytes, including the frame's own CRC, leaves the residue. Lengths are
// the software's job. Same rules as firmware/protocol/qp_frame.c qp_frame_rx_byte().
`default_nettype none

module uart_cobs_rx (
    input  wire       i_clk,
    input  wire       i_rst,
    input  wire       i_valid,  // raw byte from the line
    input  wire [7:0] i_data,
    output reg        o_valid,  // one entry
    output reg  [8:0] o_entry
);
  localparam [31:0] POLY = 32'hedb88320;
  localparam [31:0] RESIDUE_REG = 32'hdebb20e3;  // ~0x2144df1c: the raw register after a good frame

  reg [31:0] r_crc;
  reg [7:0] r_left;  // data bytes left in the current COBS block
  reg r_zero;  // the current block stands for a trailing zero (if another block follows)
  reg r_in_frame;

  function [31:0] crc_byte(input [31:0] crc, input [7:0] b);
    integer i;
    reg [31:0] c;
    begin
      c = crc ^ {24'd0, b};
      for (i = 0; i < 8; i = i + 1) c = c[0] ? (c >> 1) ^ POLY : (c >> 1);
      crc_byte = c;
    end
  endfunction

  wire w_delim = i_data == 8'd0;
  wire w_data = r_left != 8'd0;  // a block byte, copied
  wire w_put_zero = ~w_data & r_zero;  // a block code after a block that stands for a zero
  wire [7:0] w_put = w_data ? i_data : 8'd0;

  always @(posedge i_clk) begin
    o_valid <= 1'b0;
    if (i_rst) begin
      r_crc <= 32'hffffffff;
      r_left <= 8'd0;
      r_zero <= 1'b0;
      r_in_frame <= 1'b0;
      o_entry <= 9'd0;
    end else if (i_valid) begin
      if (w_delim) begin
        if (r_in_frame) begin
          o_valid <= 1'b1;
          o_entry <= {1'b1, 7'd0, (r_left == 8'd0) && (r_crc == RESIDUE_REG)};
        end
        r_crc <= 32'hffffffff;
        r_left <= 8'd0;
        r_zero <= 1'b0;
        r_in_frame <= 1'b0;
      end else begin
        r_in_frame <= 1'b1;
        if (w_data | w_put_zero) begin
          o_valid <= 1'b1;
          o_entry <= {1'b0, w_put};
          r_crc <= crc_byte(r_crc, w_put);
        end
        if (w_data) r_left <= r_left - 8'd1;
        else begin
          r_left <= i_data - 8'd1;
          r_zero <= i_data != 8'hff;
        end
      end
    end
  end
endmodule
