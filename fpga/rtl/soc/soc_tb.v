// SoC testbench (iverilog): boots the firmware given with +firmware=<hex> at +uart_div=8, decodes the
// UART output, prints the first line as "BANNER <text>", sends "ping!" and expects it echoed.
// Ends with "PASS soc_tb" or "FAIL ...".
`default_nettype none

module soc_tb;
  localparam integer DIV = 8;
  localparam integer MAX_CYCLES = 400000;
  reg r_clk = 1'b0;
  always #5 r_clk = ~r_clk;
  reg r_rx = 1'b1;
  wire w_tx, w_halted, w_retire, w_exit;
  wire [1:0] w_leds;
  wire [2:0] w_cause;
  wire [31:0] w_pc;
  wire [15:0] w_div;
  wire [7:0] w_code;

  soc_top dut (
      .i_clk(r_clk),
      .i_rst_n(1'b1),
      .i_uart_rx(r_rx),
      .o_uart_tx(w_tx),
      .o_leds(w_leds),
      .o_dbg_halted(w_halted),
      .o_dbg_halt_cause(w_cause),
      .o_dbg_pc(w_pc),
      .o_dbg_retire(w_retire),
      .o_dbg_uart_div(w_div),
      .o_dbg_sim_exit(w_exit),
      .o_dbg_sim_exit_code(w_code)
  );

  // ---- receiver: bytes from the device
  reg [7:0] r_got[0:255];
  integer n_got = 0;
  integer i, k, j;
  reg [7:0] v_byte;
  always begin
    @(negedge w_tx);
    repeat (DIV / 2) @(posedge r_clk);
    if (!w_tx) begin
      for (k = 0; k < 8; k = k + 1) begin
        repeat (DIV) @(posedge r_clk);
        v_byte[k] = w_tx;
      end
      repeat (DIV) @(posedge r_clk);  // stop bit
      if (n_got < 256) r_got[n_got] = v_byte;
      n_got = n_got + 1;
    end
  end

  task send(input [7:0] b);
    begin
      r_rx = 1'b0;
      repeat (DIV) @(posedge r_clk);
      for (j = 0; j < 8; j = j + 1) begin
        r_rx = b[j];
        repeat (DIV) @(posedge r_clk);
      end
      r_rx = 1'b1;
      repeat (DIV) @(posedge r_clk);
    end
  endtask

  integer v_cycles = 0;
  always @(posedge r_clk) begin
    v_cycles = v_cycles + 1;
    if (v_cycles > MAX_CYCLES) begin
      $display("FAIL soc_tb: timeout after %0d cycles (%0d bytes received)", MAX_CYCLES, n_got);
      for (i = 0; i < n_got && i < 256; i = i + 1) $write("%c", r_got[i]);
      $write("\n");
      $finish;
    end
    if (w_halted) begin
      $display("FAIL soc_tb: CPU halted, cause %0d at pc %08x", w_cause, w_pc);
      $finish;
    end
  end

  integer n_banner;
  reg [8*8-1:0] r_ping = "ping!";
  initial begin
    wait (n_got > 0 && r_got[n_got-1] == 8'h0a);
    n_banner = n_got;
    $write("BANNER ");
    for (i = 0; i < n_banner - 2; i = i + 1) $write("%c", r_got[i]);
    $write("\n");
    if (w_div != DIV) begin
      $display("FAIL soc_tb: UART divisor %0d, expected %0d (+uart_div)", w_div, DIV);
      $finish;
    end
    for (i = 4; i >= 0; i = i - 1) send(r_ping[8*i+:8]);
    wait (n_got == n_banner + 5);
    repeat (2 * 10 * DIV) @(posedge r_clk);
    for (i = 0; i < 5; i = i + 1) begin
      if (r_got[n_banner+i] != r_ping[8*(4-i)+:8]) begin
        $display("FAIL soc_tb: echo byte %0d is %02x (%02x %02x %02x %02x %02x)", i, r_got[n_banner+i], r_got[n_banner], r_got[n_banner+1], r_got[n_banner+2], r_got[n_banner+3], r_got[n_banner+4]);
        $finish;
      end
    end
    if (n_got != n_banner + 5) $display("FAIL soc_tb: %0d bytes after the echo", n_got - n_banner - 5);
    else if (w_leds != 2'b10) $display("FAIL soc_tb: LEDs %b, expected green only", w_leds);
    else $display("PASS soc_tb");
    $finish;
  end
endmodule
