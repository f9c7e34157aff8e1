// Self-checking testbench for the UART: uart_tx looped back into uart_rx at two divisors, back-to-back
// byte timing (exactly 10 bit times per byte), and a framing error. Ends with "PASS uart_tb" or FAIL.
`default_nettype none

module uart_tb;
  reg r_clk = 1'b0;
  always #5 r_clk = ~r_clk;
  reg r_rst = 1'b1;
  reg [15:0] r_div = 16'd5;
  reg r_valid = 1'b0;
  reg [7:0] r_data = 8'd0;
  reg r_force = 1'b0;  // drive the line low (framing error)
  wire w_ready, w_tx, w_rx_valid, w_ferr;
  wire [7:0] w_rx_data;
  integer errors = 0;
  integer n_rx = 0;
  integer i, d;
  integer t_first, t_last;
  reg [7:0] r_expect[0:15];

  uart_tx u_tx (
      .i_clk(r_clk),
      .i_rst(r_rst),
      .i_div(r_div),
      .i_valid(r_valid),
      .i_data(r_data),
      .o_ready(w_ready),
      .o_tx(w_tx)
  );
  uart_rx u_rx (
      .i_clk(r_clk),
      .i_rst(r_rst),
      .i_div(r_div),
      .i_rx(w_tx & ~r_force),
      .o_valid(w_rx_valid),
      .o_data(w_rx_data),
      .o_frame_err(w_ferr)
  );

  // Checks each received byte and records when the first and the last byte of a burst arrived.
  integer v_cycle = 0;
  always @(posedge r_clk) begin
    v_cycle = v_cycle + 1;
    if (w_rx_valid) begin
      if (n_rx == 0) t_first = v_cycle;
      t_last = v_cycle;
      if (w_rx_data !== r_expect[n_rx[3:0]]) begin
        $display("FAIL byte %0d: got %02x expected %02x", n_rx, w_rx_data, r_expect[n_rx[3:0]]);
        errors = errors + 1;
      end
      n_rx = n_rx + 1;
    end
  end

  task send_burst(input integer count);
    begin
      for (i = 0; i < count; i = i + 1) begin
        r_data = r_expect[i[3:0]];
        r_valid = 1'b1;
        @(negedge r_clk);
        while (!w_ready) @(negedge r_clk);
        @(posedge r_clk);  // accepted at this edge
        #1;
      end
      r_valid = 1'b0;
    end
  endtask

  initial begin
    r_expect[0] = 8'h00;
    r_expect[1] = 8'hff;
    r_expect[2] = 8'h55;
    r_expect[3] = 8'haa;
    r_expect[4] = 8'h01;
    r_expect[5] = 8'h80;
    r_expect[6] = 8'h7e;
    r_expect[7] = 8'h3c;
    for (i = 8; i < 16; i = i + 1) r_expect[i] = i[7:0] * 8'd37;
    repeat (2) @(posedge r_clk);
    #1 r_rst = 1'b0;
    for (d = 0; d < 2; d = d + 1) begin
      r_div = d == 0 ? 16'd5 : 16'd16;
      n_rx = 0;
      send_burst(16);
      repeat (20 * r_div) @(posedge r_clk);
      if (n_rx != 16) begin
        $display("FAIL div %0d: received %0d of 16 bytes", r_div, n_rx);
        errors = errors + 1;
      end
      if (t_last - t_first != 15 * 10 * r_div) begin
        $display("FAIL div %0d: 16 back-to-back bytes took %0d cycles, expected %0d", r_div, t_last - t_first,
                 15 * 10 * r_div);
        errors = errors + 1;
      end
    end
    // framing error: hold the line low through the stop bit
    n_rx = 0;
    r_expect[0] = 8'h00;
    r_div = 16'd8;
    r_force = 1'b1;
    repeat (12 * 8) @(posedge r_clk);
    wait (w_ferr);
    r_force = 1'b0;
    if (n_rx != 0) begin
      $display("FAIL a frame with a bad stop bit was delivered");
      errors = errors + 1;
    end
    repeat (30 * 8) @(posedge r_clk);
    if (errors == 0) $display("PASS uart_tb");
    else $display("FAIL uart_tb: %0d errors", errors);
    $finish;
  end
endmodule
