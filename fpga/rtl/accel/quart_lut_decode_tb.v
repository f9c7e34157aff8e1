// Vector-driven testbench for quart_lut_decode (vectors and expected values from test/fpga/accel,
// which decodes with the golden executor). +vec=<file> +nw=<words>: 32-bit hex words
//   nwrites, then per write: {addr[31:8], data[7:0]};
//   nreq, then per request: {pad[LANES-1:0] << 16, ch << 1, lut4}, LANES code words.
// Prints "V <request> <lane> <signed value>", then "DONE".
`default_nettype none
`timescale 1ns / 1ps

module quart_lut_decode_tb;
  parameter integer LANES = 8;
  parameter integer AW = 9;
  parameter integer MAXW = 1 << 20;

  reg clk = 1'b0;
  always #5 clk = ~clk;

  reg we = 1'b0;
  reg [AW-1:0] waddr = 0;
  reg [7:0] wdata = 0;
  reg lut4 = 1'b0;
  reg [AW-1:0] ch = 0;
  reg [8*LANES-1:0] code = 0;
  reg [LANES-1:0] pad = 0;
  wire [8*LANES-1:0] v;

  quart_lut_decode #(
      .LANES(LANES),
      .AW(AW)
  ) dut (
      .i_clk(clk),
      .i_we(we),
      .i_waddr(waddr),
      .i_wdata(wdata),
      .i_lut4(lut4),
      .i_ch(ch),
      .i_code(code),
      .i_pad(pad),
      .o_v(v)
  );

  reg [31:0] mem[0:MAXW-1];
  reg [1023:0] vecfile;
  integer nw, ptr, n, i, l, req;
  reg pending;

  always @(posedge clk) begin
    #1;
    if (pending) begin
      for (l = 0; l < LANES; l = l + 1) $display("V %0d %0d %0d", req, l, $signed(v[8*l+:8]));
      req = req + 1;
    end
  end

  initial begin
    req = 0;
    pending = 1'b0;
    if (!$value$plusargs("vec=%s", vecfile)) begin
      $display("FAIL no +vec");
      $finish;
    end
    if (!$value$plusargs("nw=%d", nw)) nw = MAXW;
    $readmemh(vecfile, mem, 0, nw - 1);
    ptr = 0;
    n = mem[ptr];
    ptr = ptr + 1;
    @(negedge clk);
    for (i = 0; i < n; i = i + 1) begin
      we = 1'b1;
      waddr = mem[ptr][8+:AW];
      wdata = mem[ptr][7:0];
      ptr = ptr + 1;
      @(negedge clk);
    end
    we = 1'b0;
    n = mem[ptr];
    ptr = ptr + 1;
    for (i = 0; i < n; i = i + 1) begin
      lut4 = mem[ptr][0];
      ch = mem[ptr][1+:AW];
      pad = mem[ptr][16+:LANES];
      ptr = ptr + 1;
      for (l = 0; l < LANES; l = l + 1) begin
        code[8*l+:8] = mem[ptr][7:0];
        ptr = ptr + 1;
      end
      pending = 1'b1;
      @(negedge clk);
    end
    pending = 1'b0;
    @(negedge clk);
    @(negedge clk);
    $display("DONE");
    $finish;
  end
endmodule
