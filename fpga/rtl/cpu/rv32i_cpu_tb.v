// Testbench for rv32i_cpu: runs a program from a hex file (one 32-bit word per line) in a flat memory
// and prints one trace line per retired instruction, then the halt cause, cycle and instret counts, and
// every non-zero memory word. The same lines come from the TS reference model (sim/device/rv32i-ref.ts).
//   +hex=<file>        program image loaded at address 0 (required)
//   +stall=<seed>      random 0..3 extra wait states per bus access (default: fixed latency 1)
//   +max_cycles=<n>    give up after n cycles (default 2000000)
// Memory: MEM_WORDS words at address 0, mirrored across the whole address space.
`default_nettype none

module rv32i_cpu_tb #(
    parameter integer MEM_WORDS = 16384
);
  localparam integer AW = $clog2(MEM_WORDS);

  reg r_clk = 1'b0;
  reg r_rst = 1'b1;
  always #5 r_clk = ~r_clk;

  wire        w_valid;
  wire [31:0] w_addr;
  wire [31:0] w_wdata;
  wire [ 3:0] w_wstrb;
  reg         r_ready = 1'b0;
  reg  [31:0] r_rdata = 32'd0;
  reg  [63:0] r_cycle = 64'd0;

  wire        w_halted;
  wire [ 2:0] w_cause;
  wire        w_retire;
  wire [31:0] w_pc;
  wire [31:0] w_insn;
  wire        w_rd_we;
  wire [ 4:0] w_rd;
  wire [31:0] w_rd_wdata;

  rv32i_cpu dut (
      .i_clk(r_clk),
      .i_rst(r_rst),
      .o_bus_valid(w_valid),
      .o_bus_addr(w_addr),
      .o_bus_wdata(w_wdata),
      .o_bus_wstrb(w_wstrb),
      .i_bus_ready(r_ready),
      .i_bus_rdata(r_rdata),
      .i_cycle(r_cycle),
      .o_halted(w_halted),
      .o_halt_cause(w_cause),
      .o_retire(w_retire),
      .o_pc(w_pc),
      .o_insn(w_insn),
      .o_rd_we(w_rd_we),
      .o_rd(w_rd),
      .o_rd_wdata(w_rd_wdata)
  );

  reg [31:0] r_mem[0:MEM_WORDS-1];
  reg [8*512-1:0] r_hex;
  integer i;
  integer v_seed;
  integer v_stall;
  integer v_wait;
  integer v_max;
  wire [AW-1:0] w_idx = w_addr[AW+1:2];

  initial begin
    for (i = 0; i < MEM_WORDS; i = i + 1) r_mem[i] = 32'd0;
    if (!$value$plusargs("hex=%s", r_hex)) begin
      $display("error: +hex=<file> missing");
      $finish;
    end
    $readmemh(r_hex, r_mem);
    v_stall = $value$plusargs("stall=%d", v_seed);
    if (!$value$plusargs("max_cycles=%d", v_max)) v_max = 2000000;
    v_wait = 0;
    repeat (3) @(posedge r_clk);
    r_rst <= 1'b0;
  end

  always @(posedge r_clk) begin
    r_cycle <= r_rst ? 64'd0 : r_cycle + 64'd1;
    r_ready <= 1'b0;
    if (w_valid && !r_ready) begin
      if (v_wait == 0) begin
        r_ready <= 1'b1;
        r_rdata <= r_mem[w_idx];
        if (w_wstrb[0]) r_mem[w_idx][7:0] <= w_wdata[7:0];
        if (w_wstrb[1]) r_mem[w_idx][15:8] <= w_wdata[15:8];
        if (w_wstrb[2]) r_mem[w_idx][23:16] <= w_wdata[23:16];
        if (w_wstrb[3]) r_mem[w_idx][31:24] <= w_wdata[31:24];
        if (v_stall != 0) v_wait = $unsigned($random(v_seed)) % 4;
      end else begin
        v_wait = v_wait - 1;
      end
    end
  end

  always @(posedge r_clk) begin
    if (!r_rst && w_retire) begin
      $write("%08x %08x", w_pc, w_insn);
      if (w_rd_we) $write(" x%0d=%08x", w_rd, w_rd_wdata);
      if (w_valid && r_ready && (w_wstrb != 4'd0)) $write(" m[%08x]=%08x/%1x", w_addr, w_wdata, w_wstrb);
      $write("\n");
    end
    if (!r_rst && w_halted) begin
      $display("halt cause=%0d pc=%08x", w_cause, w_pc);
      $display("end cycles=%0d instret=%0d", r_cycle, dut.r_instret);
      for (i = 0; i < MEM_WORDS; i = i + 1)
        if (r_mem[i] != 32'd0) $display("mem %08x %08x", i * 4, r_mem[i]);
      $finish;
    end
    if (r_cycle >= v_max) begin
      $display("timeout pc=%08x", w_pc);
      $finish;
    end
  end
endmodule
