// soc_qspi_flash against the pin-level flash model (spi_flash_model.v, short busy times): JEDEC ID and
// status through the command registers, program without write enable (ignored), quad and single-line
// page programs (bits only go 1 -> 0, the address wraps inside the page), sector erase with its busy
// time, quad reads (sequential words stream on in one command, a jump starts another), no pin
// contention. Prints the read and busy cycle counts; ends with "PASS soc_qspi_flash_tb".
`default_nettype none
`timescale 1ns / 1ps
`include "soc_map.vh"

module soc_qspi_flash_tb;
  localparam integer PROG_CYCLES = 300, SECTOR_CYCLES = 2000;
  reg clk = 1'b0;
  always #20 clk = ~clk;
  reg rst = 1'b1;
  reg valid = 1'b0, mvalid = 1'b0;
  reg [9:0] idx = 10'd0;
  reg [31:0] wdata = 32'd0;
  reg [3:0] wstrb = 4'd0;
  reg [23:0] maddr = 24'd0;
  wire ready, mready;
  wire [31:0] rdata, mrdata;
  wire sck, cs_n;
  wire [3:0] c_io, c_oe, f_io, f_oe;
  wire [31:0] programs, erases;
  // pull-ups on the lines nobody drives
  wire [3:0] pins = (c_oe & c_io) | (f_oe & f_io) | ~(c_oe | f_oe);

  soc_qspi_flash dut (
      .i_clk(clk),
      .i_rst(rst),
      .i_valid(valid),
      .i_idx(idx),
      .i_wdata(wdata),
      .i_wstrb(wstrb),
      .o_ready(ready),
      .o_rdata(rdata),
      .i_mvalid(mvalid),
      .i_maddr(maddr),
      .i_mwstrb(4'd0),
      .o_mready(mready),
      .o_mrdata(mrdata),
      .o_sck(sck),
      .o_cs_n(cs_n),
      .o_io(c_io),
      .o_io_oe(c_oe),
      .i_io(pins)
  );
  spi_flash_model #(
      .AW(16),
      .SECTOR_ERASE_CYCLES(SECTOR_CYCLES),
      .BLOCK_ERASE_CYCLES(4 * SECTOR_CYCLES),
      .PAGE_PROGRAM_CYCLES(PROG_CYCLES)
  ) flash (
      .i_clk(clk),
      .i_sck(sck),
      .i_cs_n(cs_n),
      .i_io(pins),
      .o_io(f_io),
      .o_oe(f_oe),
      .o_programs(programs),
      .o_erases(erases)
  );

  integer errors = 0, i, t0, cyc = 0;
  reg [31:0] got, word, bursts;
  always @(posedge clk) begin
    cyc = cyc + 1;
    if (|(c_oe & f_oe)) begin
      errors = errors + 1;
      $display("FAIL pin contention at %0t", $time);
    end
  end

  task check(input [31:0] a, input [31:0] b, input [8*24-1:0] what);
    if (a !== b) begin
      errors = errors + 1;
      $display("FAIL %0s: got %08x, expected %08x", what, a, b);
    end
  endtask

  task reg_access(input [9:0] i_, input w, input [31:0] d);
    begin
      @(negedge clk);
      valid = 1'b1;
      idx = i_;
      wdata = d;
      wstrb = w ? 4'hf : 4'h0;
      @(posedge clk);
      while (!ready) @(posedge clk);
      got = rdata;
      @(negedge clk);
      valid = 1'b0;
      wstrb = 4'h0;
    end
  endtask

  task mem_read(input [23:0] a);
    begin
      @(negedge clk);
      mvalid = 1'b1;
      maddr = a;
      @(posedge clk);
      while (!mready) @(posedge clk);
      got = mrdata;
      @(negedge clk);
      mvalid = 1'b0;
    end
  endtask

  localparam [9:0] CTRL = `SOC_FLASHCTL_CTRL_IDX, DATA = `SOC_FLASHCTL_DATA_IDX;
  // CTRL values: CS, QUAD, BYTES - 1
  function [31:0] ctl(input cs, input quad, input [1:0] bytes_m1);
    ctl = {26'd0, bytes_m1, 2'b00, quad, cs};
  endfunction

  task cmd1(input [7:0] op);  // a one-byte command
    begin
      reg_access(CTRL, 1, ctl(1, 0, 0));
      reg_access(DATA, 1, {24'd0, op});
      reg_access(CTRL, 1, 0);
    end
  endtask

  task read_status;
    begin
      reg_access(CTRL, 1, ctl(1, 0, 1));
      reg_access(DATA, 1, 32'h0000_0005);  // command, then one byte clocked in
      reg_access(DATA, 0, 0);
      word = got;
      reg_access(CTRL, 1, 0);
      got = {24'd0, word[15:8]};
    end
  endtask

  task wait_ready;
    begin
      read_status;
      while (got[0]) read_status;
    end
  endtask

  // after wait_ready: BUSY since `since` lasted about the model's busy time (the status polls take a few
  // dozen cycles of it)
  task check_busy_time(input [8*16-1:0] what, input integer since, input integer model_cycles);
    begin
      $display("BUSY %0s=%0d cycles (model %0d)", what, cyc - since, model_cycles);
      if (cyc - since < model_cycles - 50) begin
        errors = errors + 1;
        $display("FAIL %0s busy too short", what);
      end
    end
  endtask

  // command byte and 24-bit address in one 4-byte DATA write: bytes go out bits 7:0 first
  function [31:0] cmd_addr(input [7:0] op, input [23:0] a);
    cmd_addr = {a[7:0], a[15:8], a[23:16], op};
  endfunction

  task quad_program(input [23:0] a, input integer words, input [31:0] seed);
    begin
      cmd1(8'h06);
      reg_access(CTRL, 1, ctl(1, 0, 3));
      reg_access(DATA, 1, cmd_addr(8'h32, a));
      reg_access(CTRL, 1, ctl(1, 1, 3));
      for (i = 0; i < words; i = i + 1) reg_access(DATA, 1, seed ^ (i * 32'h01010101));
      reg_access(CTRL, 1, 0);
    end
  endtask

  initial begin
    repeat (4) @(posedge clk);
    rst = 1'b0;
    reg_access(`SOC_FLASHCTL_ID_IDX, 0, 0);
    check(got, `SOC_FLASHCTL_ID_RESET, "ID");

    // JEDEC ID: command byte, then three bytes in
    reg_access(CTRL, 1, ctl(1, 0, 0));
    reg_access(DATA, 1, 32'h9f);
    reg_access(CTRL, 1, ctl(1, 0, 2));
    reg_access(DATA, 1, 0);
    reg_access(DATA, 0, 0);
    check(got, {8'd0, 8'h18, 8'h40, 8'hef}, "JEDEC ID");
    reg_access(CTRL, 1, 0);
    read_status;
    check(got, 0, "status idle");

    mem_read(24'h000100);
    check(got, 32'hffff_ffff, "erased");

    // no write enable: the program is ignored
    reg_access(CTRL, 1, ctl(1, 0, 3));
    reg_access(DATA, 1, cmd_addr(8'h32, 24'h000100));
    reg_access(CTRL, 1, ctl(1, 1, 3));
    reg_access(DATA, 1, 32'h0);
    reg_access(CTRL, 1, 0);
    read_status;
    check(got, 0, "not busy without WEL");
    mem_read(24'h000100);
    check(got, 32'hffff_ffff, "no WEL, no program");

    // quad page program of 64 words; busy about PROG_CYCLES
    quad_program(24'h000100, 64, 32'h5aa5_c33c);
    t0 = cyc;
    read_status;
    check(got & 3, 3, "busy and WEL after program");
    wait_ready;
    check_busy_time("page_program", t0, PROG_CYCLES);
    read_status;  // WEL may have been shifted out just before BUSY fell
    check(got, 0, "WEL cleared after program");
    check(programs, 1, "programs");

    // read back: the first word opens a quad read, the next 63 stream on in the same command
    reg_access(`SOC_FLASHCTL_BURSTS_IDX, 0, 0);
    bursts = got;
    t0 = cyc;
    mem_read(24'h000100);
    $display("READ first_word=%0d cycles", cyc - t0);
    check(got, 32'h5aa5_c33c, "word 0");
    t0 = cyc;
    mem_read(24'h000104);
    $display("READ next_word=%0d cycles", cyc - t0);
    check(got, 32'h5aa5_c33c ^ 32'h01010101, "word 1");
    for (i = 2; i < 64; i = i + 1) begin
      mem_read(24'h000100 + 4 * i);
      check(got, 32'h5aa5_c33c ^ (i * 32'h01010101), "word i");
    end
    reg_access(`SOC_FLASHCTL_BURSTS_IDX, 0, 0);
    check(got - bursts, 1, "one 0xEB for 64 sequential words");
    // a jump back opens a new command
    mem_read(24'h000108);
    check(got, 32'h5aa5_c33c ^ 32'h02020202, "random word");
    reg_access(`SOC_FLASHCTL_BURSTS_IDX, 0, 0);
    check(got - bursts, 2, "a jump starts another read");

    // programming again only clears bits
    quad_program(24'h000100, 2, 32'h0ff0_f00f);
    wait_ready;
    mem_read(24'h000100);
    check(got, 32'h5aa5_c33c & 32'h0ff0_f00f, "AND of two programs");
    mem_read(24'h000108);
    check(got, 32'h5aa5_c33c ^ 32'h02020202, "untouched word");

    // single-line page program across the page end: the address wraps to the page start
    cmd1(8'h06);
    reg_access(CTRL, 1, ctl(1, 0, 3));
    reg_access(DATA, 1, cmd_addr(8'h02, 24'h0003fc));
    reg_access(DATA, 1, 32'h4433_2211);
    reg_access(DATA, 1, 32'h8877_6655);
    reg_access(CTRL, 1, 0);
    wait_ready;
    mem_read(24'h0003fc);
    check(got, 32'h4433_2211, "page end");
    mem_read(24'h000300);
    check(got, 32'h8877_6655, "wrapped to page start");

    // a read while a command holds CS answers all ones and leaves the pins alone
    reg_access(CTRL, 1, ctl(1, 0, 0));
    mem_read(24'h000300);
    check(got, 32'hffff_ffff, "read during a command");
    reg_access(CTRL, 1, 0);

    // one command streams the whole array: 16 K words, the last one programmed
    quad_program(24'h00fffc, 1, 32'hc0de_f00d);
    wait_ready;
    reg_access(`SOC_FLASHCTL_BURSTS_IDX, 0, 0);
    bursts = got;
    for (i = 0; i < 16384; i = i + 1) mem_read(4 * i);
    check(got, 32'hc0de_f00d, "last word of a 64 KiB burst");
    reg_access(`SOC_FLASHCTL_BURSTS_IDX, 0, 0);
    check(got - bursts, 1, "64 KiB in one 0xEB");

    // 4 KiB sector erase
    cmd1(8'h06);
    reg_access(CTRL, 1, ctl(1, 0, 3));
    reg_access(DATA, 1, cmd_addr(8'h20, 24'h000123));
    reg_access(CTRL, 1, 0);
    t0 = cyc;
    wait_ready;
    check_busy_time("sector_erase", t0, SECTOR_CYCLES);
    check(erases, 1, "erases");
    mem_read(24'h000100);
    check(got, 32'hffff_ffff, "erased word");
    mem_read(24'h0003fc);
    check(got, 32'hffff_ffff, "erased page end");

    if (errors == 0) $display("PASS soc_qspi_flash_tb");
    else $display("FAIL %0d errors", errors);
    $finish;
  end
endmodule
