// Vector driver for uart_cobs_rx: feeds the bytes of +vectors=<hex file> (one word per line: the count,
// then one byte per word) one every other cycle and prints every entry the decoder emits, "E <hex>".
// test/fpga/cobs-rx.test.ts writes the vectors and checks the output against the TypeScript framing.
`timescale 1ns / 1ps
`default_nettype none

module uart_cobs_rx_tb;
  reg r_clk = 1'b0;
  reg r_rst = 1'b1;
  reg r_valid = 1'b0;
  reg [7:0] r_data = 8'd0;
  wire w_valid;
  wire [8:0] w_entry;

  uart_cobs_rx dut (
      .i_clk(r_clk),
      .i_rst(r_rst),
      .i_valid(r_valid),
      .i_data(r_data),
      .o_valid(w_valid),
      .o_entry(w_entry)
  );

  always #5 r_clk = ~r_clk;
  always @(posedge r_clk) if (w_valid) $display("E %03x", w_entry);

  reg [31:0] r_mem[0:1048575];
  reg [1023:0] r_file;
  integer i;
  initial begin
    if (!$value$plusargs("vectors=%s", r_file)) begin
      $display("FAIL no +vectors");
      $finish;
    end
    $readmemh(r_file, r_mem);
    repeat (2) @(posedge r_clk);
    r_rst <= 1'b0;
    for (i = 1; i <= r_mem[0]; i = i + 1) begin
      @(posedge r_clk);
      r_valid <= 1'b1;
      r_data <= r_mem[i][7:0];
      @(posedge r_clk);
      r_valid <= 1'b0;
    end
    repeat (4) @(posedge r_clk);
    $display("DONE");
    $finish;
  end
endmodule
