// soc_qspi_psram against the pin-level PSRAM model: writes across burst boundaries, reads them back, a
// 16-byte read and a single byte; checks the data and that controller and PSRAM never drive the pins
// together. Ends with "PASS soc_qspi_psram_tb" when every check held.
`default_nettype none
`timescale 1ns / 1ps

module soc_qspi_psram_tb;
  reg clk = 1'b0;
  always #20 clk = ~clk;
  reg rst = 1'b1;
  reg start = 1'b0, we = 1'b0, move = 1'b0;
  reg [22:0] addr = 23'd0;
  reg [15:0] len = 16'd0;
  reg [7:0] wdata = 8'd0;
  reg [1:0] wmask = 2'b11;
  reg partial = 1'b0;  // write bytes with rotating nibble enables
  wire busy, slot, sclk, cs_n, oe, m_oe;
  wire [7:0] rdata;
  wire [3:0] sio, m_sio;
  soc_qspi_psram #(
      .POWERUP_CYCLES(20)
  ) dut (
      .i_clk(clk),
      .i_rst(rst),
      .i_start(start),
      .i_addr(addr),
      .i_len(len),
      .i_we(we),
      .i_abort(1'b0),
      .o_busy(busy),
      .o_slot(slot),
      .o_rdata(rdata),
      .i_move(move),
      .i_wdata(wdata),
      .i_wmask(wmask),
      .o_sclk(sclk),
      .o_cs_n(cs_n),
      .o_sio(sio),
      .o_sio_oe(oe),
      .i_sio(m_sio)
  );
  psram_qpi_model mem (
      .i_sclk(sclk),
      .i_cs_n(cs_n),
      .i_sio(sio),
      .o_sio(m_sio),
      .o_oe(m_oe)
  );

  integer errors = 0, i, got;
  reg [7:0] exp;
  reg [7:0] seen[0:255];
  always @(posedge clk)
    if (oe && m_oe) begin
      errors = errors + 1;
      $display("FAIL bus contention at %0t", $time);
    end

  function [7:0] pat(input integer k);
    pat = (k * 29 + 7) & 255;
  endfunction

  task xfer(input w, input [22:0] a, input integer n, input integer seed);
    begin
      @(negedge clk);
      while (busy) @(negedge clk);
      start = 1'b1;
      we = w;
      addr = a;
      len = n[15:0];
      @(negedge clk);
      start = 1'b0;
      got = 0;
      while (busy || got < n) begin
        move = slot;
        wdata = pat(got + seed);
        wmask = partial ? got[1:0] : 2'b11;
        @(posedge clk);
        if (slot) begin
          if (!w) seen[got] = rdata;
          got = got + 1;
        end
        @(negedge clk);
        move = 1'b0;
        if (!busy && got < n) begin
          errors = errors + 1;
          $display("FAIL transfer at %0d ended after %0d of %0d bytes", a, got, n);
          got = n;
        end
      end
    end
  endtask

  task check(input integer n, input integer seed);
    begin
      for (i = 0; i < n; i = i + 1)
        if (seen[i] !== pat(i + seed)) begin
          errors = errors + 1;
          $display("FAIL byte %0d: %h, expected %h", i, seen[i], pat(i + seed));
        end
    end
  endtask

  initial begin
    repeat (4) @(posedge clk);
    rst = 1'b0;
    xfer(1'b1, 23'd50, 150, 0);  // crosses the 64- and 128-byte boundaries
    xfer(1'b0, 23'd50, 150, 0);
    check(150, 0);
    xfer(1'b1, 23'd1000, 16, 3);
    xfer(1'b0, 23'd1000, 16, 3);
    check(16, 3);
    xfer(1'b0, 23'd51, 1, 1);
    check(1, 1);
    // nibble enables 00, 01, 10, 11 in turn over known data (read-modify-write), across a burst boundary
    partial = 1'b1;
    xfer(1'b1, 23'd60, 12, 9);
    partial = 1'b0;
    xfer(1'b0, 23'd60, 12, 0);
    for (i = 0; i < 12; i = i + 1) begin
      exp = pat(10 + i);  // what the first write left at 60 + i
      case (i % 4)
        0: ;
        1: exp[3:0] = pat(i + 9) & 15;
        2: exp[7:4] = pat(i + 9) >> 4;
        default: exp = pat(i + 9);
      endcase
      if (seen[i] !== exp) begin
        errors = errors + 1;
        $display("FAIL partial byte %0d: %h, expected %h", i, seen[i], exp);
      end
    end
    if (mem.errors != 0) errors = errors + mem.errors;
    if (errors == 0) $display("PASS soc_qspi_psram_tb");
    else $display("FAIL soc_qspi_psram_tb: %0d errors", errors);
    $finish;
  end
  initial begin
    #5000000;
    $display("FAIL soc_qspi_psram_tb: timeout");
    $finish;
  end
endmodule
