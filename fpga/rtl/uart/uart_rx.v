// UART receiver, 8N1, sampling each bit in its middle; i_div clock cycles per bit.
// o_valid pulses for one cycle with o_data after a good stop bit; a 0 stop bit pulses o_frame_err instead.
`default_nettype none

module uart_rx #(
    parameter integer DIV_BITS = 16
) (
    input  wire                i_clk,
    input  wire                i_rst,
    input  wire [DIV_BITS-1:0] i_div,
    input  wire                i_rx,
    output reg                 o_valid,
    output reg  [7:0]          o_data,
    output reg                 o_frame_err
);
  reg [1:0] r_sync = 2'b11;  // metastability filter
  reg [3:0] r_bits;  // 0: idle, 10: in start bit, 9..2: data bits, 1: stop bit
  reg [DIV_BITS-1:0] r_count;
  wire w_line = r_sync[1];

  always @(posedge i_clk) begin
    r_sync <= {r_sync[0], i_rx};
    o_valid <= 1'b0;
    o_frame_err <= 1'b0;
    if (i_rst) begin
      r_bits <= 4'd0;
      r_count <= {DIV_BITS{1'b0}};
      o_data <= 8'd0;
    end else if (r_bits == 4'd0) begin
      if (!w_line) begin
        r_bits <= 4'd10;
        r_count <= {1'b0, i_div[DIV_BITS-1:1]} - 1'b1;  // to the middle of the start bit
      end
    end else if (r_count != {DIV_BITS{1'b0}}) begin
      r_count <= r_count - 1'b1;
    end else begin
      r_count <= i_div - 1'b1;
      r_bits <= r_bits - 1'b1;
      if (r_bits == 4'd10) begin
        if (w_line) r_bits <= 4'd0;  // glitch, not a start bit
      end else if (r_bits == 4'd1) begin
        o_valid <= w_line;
        o_frame_err <= ~w_line;
      end else begin
        o_data <= {w_line, o_data[7:1]};
      end
    end
  end
endmodule
