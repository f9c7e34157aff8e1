// Self-checking testbench for uart_fifo: order, full/empty flags, level, simultaneous push and pop.
// Prints PASS or FAIL lines; ends with "PASS uart_fifo_tb" when every check held.
`default_nettype none

module uart_fifo_tb;
  localparam integer DEPTH = 8;
  reg r_clk = 1'b0;
  always #5 r_clk = ~r_clk;
  reg r_rst = 1'b1;
  reg r_push = 1'b0, r_pop = 1'b0;
  reg [7:0] r_data = 8'd0;
  wire w_full, w_valid;
  wire [7:0] w_out;
  wire [4:0] w_level;
  integer errors = 0;
  integer i;

  uart_fifo #(
      .WIDTH(8),
      .DEPTH(DEPTH)
  ) dut (
      .i_clk(r_clk),
      .i_rst(r_rst),
      .i_push(r_push),
      .i_data(r_data),
      .o_full(w_full),
      .i_pop(r_pop),
      .o_data(w_out),
      .o_valid(w_valid),
      .o_level(w_level)
  );

  task check(input cond, input [8*48-1:0] what);
    if (!cond) begin
      $display("FAIL %0s at %0t", what, $time);
      errors = errors + 1;
    end
  endtask

  task push(input [7:0] v);
    begin
      r_data = v;
      r_push = 1'b1;
      @(posedge r_clk);
      #1 r_push = 1'b0;
    end
  endtask

  task pop_expect(input [7:0] v);
    begin
      check(w_valid, "valid before pop");
      check(w_out == v, "pop order");
      r_pop = 1'b1;
      @(posedge r_clk);
      #1 r_pop = 1'b0;
    end
  endtask

  initial begin
    repeat (2) @(posedge r_clk);
    #1 r_rst = 1'b0;
    check(!w_valid && w_level == 0, "empty after reset");
    // fill to capacity (DEPTH in memory + 1 in the output register)
    for (i = 0; i < DEPTH + 1; i = i + 1) begin
      push(8'h10 + i[7:0]);
      @(posedge r_clk);
      #1;
    end
    check(w_full, "full at capacity");
    check(w_level == DEPTH + 1, "level at capacity");
    push(8'hee);  // dropped
    for (i = 0; i < DEPTH + 1; i = i + 1) begin
      pop_expect(8'h10 + i[7:0]);
      @(posedge r_clk);
      #1;
    end
    check(!w_valid && w_level == 0, "empty after draining");
    // streaming: push and pop in the same cycle with two words queued (the output register is refilled
    // from memory, never from the word written in the same cycle)
    push(8'h01);
    push(8'h02);
    @(posedge r_clk);
    #1;
    for (i = 3; i < 40; i = i + 1) begin
      check(w_valid && w_out == i[7:0] - 8'd2, "streaming order");
      r_data = i[7:0];
      r_push = 1'b1;
      r_pop = 1'b1;
      @(posedge r_clk);
      #1;
    end
    r_push = 1'b0;
    r_pop = 1'b0;
    @(posedge r_clk);
    #1;
    check(w_level == 2 && w_out == 8'd38, "streaming end");
    if (errors == 0) $display("PASS uart_fifo_tb");
    else $display("FAIL uart_fifo_tb: %0d errors", errors);
    $finish;
  end
endmodule
