// Synchronous first-word-fall-through FIFO. The storage has a registered read port (so yosys maps deep
// FIFOs to EBR); a one-word output register holds the head. Capacity is DEPTH + 1 words.
`default_nettype none

module uart_fifo #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 16  // power of two
) (
    input  wire             i_clk,
    input  wire             i_rst,
    input  wire             i_push,
    input  wire [WIDTH-1:0] i_data,
    output wire             o_full,
    input  wire             i_pop,
    output reg  [WIDTH-1:0] o_data,
    output reg              o_valid,  // o_data holds the head
    output wire [AW+1:0]    o_level
);
  localparam integer AW = $clog2(DEPTH);

  reg [WIDTH-1:0] r_mem[0:DEPTH-1];
  reg [AW:0] r_wptr;
  reg [AW:0] r_rptr;
  wire [AW:0] w_count = r_wptr - r_rptr;
  wire w_mem_empty = (w_count == {(AW + 1) {1'b0}});
  assign o_full = (w_count == DEPTH[AW:0]);
  assign o_level = {1'b0, w_count} + {{(AW + 1) {1'b0}}, o_valid};

  wire w_load = ~w_mem_empty & (~o_valid | i_pop);

  always @(posedge i_clk) begin
    if (i_push & ~o_full) r_mem[r_wptr[AW-1:0]] <= i_data;
    if (w_load) o_data <= r_mem[r_rptr[AW-1:0]];
  end

  always @(posedge i_clk) begin
    if (i_rst) begin
      r_wptr <= {(AW + 1) {1'b0}};
      r_rptr <= {(AW + 1) {1'b0}};
      o_valid <= 1'b0;
    end else begin
      if (i_push & ~o_full) r_wptr <= r_wptr + 1'b1;
      if (w_load) begin
        r_rptr <= r_rptr + 1'b1;
        o_valid <= 1'b1;
      end else if (i_pop) begin
        o_valid <= 1'b0;
      end
    end
  end
endmodule
