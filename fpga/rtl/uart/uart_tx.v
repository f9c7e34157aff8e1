// UART transmitter, 8N1: start bit, 8 data bits LSB first, stop bit; i_div clock cycles per bit.
`default_nettype none

module uart_tx #(
    parameter integer DIV_BITS = 16
) (
    input  wire                i_clk,
    input  wire                i_rst,
    input  wire [DIV_BITS-1:0] i_div,
    input  wire                i_valid,
    input  wire [7:0]          i_data,
    output wire                o_ready,  // i_valid is accepted this cycle (idle or last stop-bit cycle)
    output wire                o_tx
);
  reg [8:0] r_shift;  // data bits then stop bit; bit 0 is on the line after the start bit
  reg [3:0] r_bits;   // bits left to send including the current one (0 = idle)
  reg [DIV_BITS-1:0] r_count;
  reg r_line;

  // Back-to-back bytes: the next start bit follows the stop bit without an idle cycle, so the line
  // carries exactly 10 * i_div cycles per byte.
  assign o_ready = (r_bits == 4'd0) | ((r_bits == 4'd1) & (r_count == {DIV_BITS{1'b0}}));
  assign o_tx = r_line;

  always @(posedge i_clk) begin
    if (i_rst) begin
      r_bits <= 4'd0;
      r_line <= 1'b1;
      r_count <= {DIV_BITS{1'b0}};
      r_shift <= 9'h1ff;
    end else if (o_ready & i_valid) begin
      r_line <= 1'b0;  // start bit
      r_shift <= {1'b1, i_data};
      r_bits <= 4'd10;
      r_count <= i_div - 1'b1;
    end else if (r_bits == 4'd0) begin
      r_line <= 1'b1;
    end else if (r_count != {DIV_BITS{1'b0}}) begin
      r_count <= r_count - 1'b1;
    end else begin
      r_bits <= r_bits - 1'b1;
      r_count <= i_div - 1'b1;
      r_line <= (r_bits == 4'd1) ? 1'b1 : r_shift[0];
      r_shift <= {1'b1, r_shift[8:1]};
    end
  end
endmodule
