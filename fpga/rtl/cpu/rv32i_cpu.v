// Multi-cycle RV32I CPU.
//
// States and cycles per instruction (L = bus latency from valid to ready, >= 1):
//   FETCH  (L+1: bus read of the instruction; rs2 is read from the register file in the ready cycle)
//   DECODE (1: decode; latch operand 2 (rs2 or immediate), store data, branch target, link/LUI/AUIPC/CSR
//           value; read rs1)
//   EXEC   (1: ALU with rs1 from the register file, branch, write-back; loads/stores form their address)
//   MEM    (L+1, loads and stores only: bus access; loads write back in the ready cycle)
//   SHIFT  (shamt+1, shifts only: one bit per cycle)
//   BRANCH (1, conditional branches only: the registered condition selects the next pc)
// => L+3 cycles for ALU/jump/CSR/FENCE, L+4 for branches, 2L+4 for loads and stores, L+4+shamt for
//    shifts (4, 5, 6 and 5+shamt with L = 1). The cycle/instret CSRs are sampled in DECODE.
//
// ecall, ebreak, illegal instructions and misaligned fetch targets / data addresses stop the CPU in the
// HALT state until reset, with o_halted and o_halt_cause set and o_pc at the offending instruction; that
// instruction has no effect and does not retire. Codes: SOC_HALT_* in soc_map.vh.
//
// Bus: o_bus_valid with address/wdata/wstrb held until i_bus_ready (one cycle, with i_bus_rdata for reads).
// wstrb == 0 is a read. Store data is replicated across byte lanes (sb: 4 copies, sh: 2 copies).
`default_nettype none
`include "soc_map.vh"

module rv32i_cpu #(
    parameter [31:0] RESET_PC = 32'h0000_0000
) (
    input  wire        i_clk,
    input  wire        i_rst,
    // memory bus (master)
    output wire        o_bus_valid,
    output wire [31:0] o_bus_addr,
    output wire [31:0] o_bus_wdata,
    output wire [ 3:0] o_bus_wstrb,
    input  wire        i_bus_ready,
    input  wire [31:0] i_bus_rdata,
    // cycle counter read by the cycle/time CSRs
    input  wire [63:0] i_cycle,
    // status and retire port (for testbenches, the sim harness and LEDs)
    output wire        o_halted,
    output wire [ 2:0] o_halt_cause,
    output wire        o_retire,
    output wire [31:0] o_pc,
    output wire [31:0] o_insn,
    output wire        o_rd_we,
    output wire [ 4:0] o_rd,
    output wire [31:0] o_rd_wdata
);
  localparam [2:0] S_FETCH = 3'd0, S_DECODE = 3'd1, S_EXEC = 3'd2, S_MEM = 3'd3, S_SHIFT = 3'd4,
      S_BRANCH = 3'd5, S_HALT = 3'd6;

  reg [ 2:0] r_state;
  reg [31:0] r_pc;
  reg [31:0] r_ir;
  reg [31:0] r_addr;    // bus address: pc during FETCH, data address during MEM
  reg [31:0] r_wdata;   // store data, replicated
  reg [ 3:0] r_wstrb;
  reg [ 2:0] r_cause;
  reg [63:0] r_instret;
  reg        r_retired;  // an instruction retired last cycle (instret counts one cycle late)
  reg        r_taken;    // branch condition, from EXEC to BRANCH
  // latched in DECODE for EXEC
  reg [31:0] r_op2;     // rs2 (OP, branches) or the immediate
  reg [31:0] r_target;  // pc + immediate (JAL, branches)
  reg [31:0] r_alt;     // rd value that does not need the ALU: LUI, AUIPC, CSR, link (pc + 4)
  reg [ 2:0] r_alu_f3;
  reg        r_sub, r_use_alu, r_shift, r_shift_left, r_shift_arith;
  reg        r_jal, r_jalr, r_branch, r_load, r_store, r_wrd;
  reg [ 2:0] r_exc;     // ecall / ebreak / illegal, known at decode
  // serial shifter
  reg [31:0] r_sh;
  reg [ 4:0] r_cnt;

  wire [2:0] w_f3 = r_ir[14:12];
  wire [4:0] w_rd = r_ir[11:7];

  // ---------------------------------------------------------------- register file
  wire [31:0] w_rf_rdata;
  wire        w_rf_we;
  wire [31:0] w_rf_wdata;
  rv32i_regfile u_rf (
      .i_clk(i_clk),
      .i_raddr((r_state == S_FETCH) ? i_bus_rdata[24:20] : r_ir[19:15]),
      .o_rdata(w_rf_rdata),
      .i_we(w_rf_we),
      .i_waddr(w_rd),
      .i_wdata(w_rf_wdata)
  );

  // ---------------------------------------------------------------- decode (DECODE state)
  wire d_lui, d_auipc, d_jal, d_jalr, d_branch, d_load, d_store, d_opimm, d_op, d_csr;
  wire d_ecall, d_ebreak, d_illegal, d_writes_rd;
  wire [31:0] d_imm;
  rv32i_decode u_dec (
      .i_insn(r_ir),
      .o_lui(d_lui),
      .o_auipc(d_auipc),
      .o_jal(d_jal),
      .o_jalr(d_jalr),
      .o_branch(d_branch),
      .o_load(d_load),
      .o_store(d_store),
      .o_opimm(d_opimm),
      .o_op(d_op),
      .o_csr(d_csr),
      .o_ecall(d_ecall),
      .o_ebreak(d_ebreak),
      .o_illegal(d_illegal),
      .o_writes_rd(d_writes_rd),
      .o_imm(d_imm)
  );
  wire        d_arith = d_op | d_opimm;
  wire        d_is_shift = d_arith & (w_f3[1:0] == 2'b01);
  wire [31:0] d_pc_imm = r_pc + d_imm;
  wire [31:0] d_pc_plus4 = r_pc + 32'd4;

  reg [31:0] d_csr_value;
  always @(*) begin
    case ({r_ir[27], r_ir[21:20]})
      3'b000, 3'b001: d_csr_value = i_cycle[31:0];
      3'b100, 3'b101: d_csr_value = i_cycle[63:32];
      3'b010:         d_csr_value = r_instret[31:0];
      default:        d_csr_value = r_instret[63:32];
    endcase
  end

  reg [31:0] d_store_data;
  always @(*) begin
    case (w_f3[1:0])
      2'b00:   d_store_data = {4{w_rf_rdata[7:0]}};
      2'b01:   d_store_data = {2{w_rf_rdata[15:0]}};
      default: d_store_data = w_rf_rdata;
    endcase
  end

  reg [2:0] d_exc;
  always @(*) begin
    if (d_illegal) d_exc = `SOC_HALT_ILLEGAL;
    else if (d_ecall) d_exc = `SOC_HALT_ECALL;
    else if (d_ebreak) d_exc = `SOC_HALT_EBREAK;
    else d_exc = 3'd0;
  end

  // ---------------------------------------------------------------- execute (EXEC state)
  wire [31:0] w_alu_out, w_sum;
  wire        w_eq, w_lt, w_ltu;
  rv32i_alu u_alu (
      .i_a(w_rf_rdata),
      .i_b(r_op2),
      .i_funct3(r_alu_f3),
      .i_sub(r_sub),
      .o_result(w_alu_out),
      .o_sum(w_sum),
      .o_eq(w_eq),
      .o_lt(w_lt),
      .o_ltu(w_ltu)
  );

  wire [31:0] w_pc_plus4 = r_pc + 32'd4;
  reg         w_cond;
  always @(*) begin
    case (w_f3)
      3'b000:  w_cond = w_eq;
      3'b001:  w_cond = ~w_eq;
      3'b100:  w_cond = w_lt;
      3'b101:  w_cond = ~w_lt;
      3'b110:  w_cond = w_ltu;
      default: w_cond = ~w_ltu;
    endcase
  end
  // EXEC resolves jumps; conditional branches continue in BRANCH with the registered condition.
  wire [31:0] w_next_pc = r_jalr ? {w_sum[31:1], 1'b0} : (r_jal ? r_target : w_pc_plus4);
  // Low two address bits from their own small adder, off the 32-bit carry chain (alignment checks).
  wire [1:0]  w_ofs = w_rf_rdata[1:0] + r_op2[1:0];
  wire        w_fetch_misaligned = (r_jal & r_target[1]) | (r_jalr & w_ofs[1]);
  wire        w_branch_fault = r_taken & r_target[1];
  wire [31:0] w_branch_pc = r_taken ? r_target : w_pc_plus4;

  // Loads and stores: address = rs1 + imm.
  wire w_data_misaligned = (w_f3[1:0] == 2'b10) ? (w_ofs != 2'b00) : ((w_f3[1:0] == 2'b01) & w_ofs[0]);
  reg [3:0] w_strb;
  always @(*) begin
    case (w_f3[1:0])
      2'b00:   w_strb = 4'b0001 << w_ofs;
      2'b01:   w_strb = w_ofs[1] ? 4'b1100 : 4'b0011;
      default: w_strb = 4'b1111;
    endcase
  end

  reg [2:0] w_exc;
  always @(*) begin
    if (r_exc != 3'd0) w_exc = r_exc;
    else if (w_fetch_misaligned) w_exc = `SOC_HALT_MISALIGNED_FETCH;
    else if (r_load & w_data_misaligned) w_exc = `SOC_HALT_MISALIGNED_LOAD;
    else if (r_store & w_data_misaligned) w_exc = `SOC_HALT_MISALIGNED_STORE;
    else w_exc = 3'd0;
  end

  // ---------------------------------------------------------------- load data (MEM state)
  wire [31:0] w_ld_word = i_bus_rdata >> {r_addr[1:0], 3'b000};
  reg  [31:0] w_load_data;
  always @(*) begin
    case (w_f3)
      3'b000:  w_load_data = {{24{w_ld_word[7]}}, w_ld_word[7:0]};
      3'b001:  w_load_data = {{16{w_ld_word[15]}}, w_ld_word[15:0]};
      3'b100:  w_load_data = {24'd0, w_ld_word[7:0]};
      3'b101:  w_load_data = {16'd0, w_ld_word[15:0]};
      default: w_load_data = w_ld_word;
    endcase
  end

  // ---------------------------------------------------------------- retire / write-back
  wire w_exec_ok = (r_state == S_EXEC) & (w_exc == 3'd0);
  wire w_exec_retire = w_exec_ok & ~(r_load | r_store | r_shift | r_branch);
  wire w_shift_done = (r_state == S_SHIFT) & (r_cnt == 5'd0);
  wire w_mem_done = (r_state == S_MEM) & i_bus_ready;
  wire w_branch_retire = (r_state == S_BRANCH) & ~w_branch_fault;
  wire w_retire = w_exec_retire | w_shift_done | w_mem_done | w_branch_retire;
  assign w_rf_we = r_wrd & w_retire;
  assign w_rf_wdata = (r_state == S_MEM) ? w_load_data :
                      (r_state == S_SHIFT) ? r_sh : (r_use_alu ? w_alu_out : r_alt);

  // ---------------------------------------------------------------- state machine
  always @(posedge i_clk) begin
    if (i_rst) begin
      r_state <= S_FETCH;
      r_pc <= RESET_PC;
      r_addr <= RESET_PC;
      r_wstrb <= 4'd0;
      r_cause <= 3'd0;
      r_instret <= 64'd0;
      r_retired <= 1'b0;
    end else begin
      r_retired <= w_retire;
      if (r_retired) r_instret <= r_instret + 64'd1;
      case (r_state)
        S_FETCH:
        if (i_bus_ready) begin
          r_ir <= i_bus_rdata;
          r_state <= S_DECODE;
        end
        S_DECODE: begin
          r_op2 <= (d_op | d_branch) ? w_rf_rdata : d_imm;
          r_wdata <= d_store_data;
          r_target <= d_pc_imm;
          r_alt <= d_lui ? d_imm : d_auipc ? d_pc_imm : d_csr ? d_csr_value : d_pc_plus4;
          r_alu_f3 <= d_arith ? w_f3 : 3'b000;
          r_sub <= d_branch | (d_arith & (w_f3[2:1] == 2'b01)) | (d_op & (w_f3 == 3'b000) & r_ir[30]);
          r_use_alu <= d_arith & ~d_is_shift;
          r_shift <= d_is_shift;
          r_shift_left <= ~w_f3[2];
          r_shift_arith <= r_ir[30];
          r_jal <= d_jal;
          r_jalr <= d_jalr;
          r_branch <= d_branch;
          r_load <= d_load;
          r_store <= d_store;
          r_wrd <= d_writes_rd & (w_rd != 5'd0);
          r_exc <= d_exc;
          r_state <= S_EXEC;
        end
        S_EXEC:
        if (w_exc != 3'd0) begin
          r_cause <= w_exc;
          r_state <= S_HALT;
        end else if (r_load | r_store) begin
          r_addr <= w_sum;
          r_wstrb <= r_store ? w_strb : 4'd0;
          r_state <= S_MEM;
        end else if (r_shift) begin
          r_sh <= w_rf_rdata;
          r_cnt <= r_op2[4:0];
          r_state <= S_SHIFT;
        end else if (r_branch) begin
          r_taken <= w_cond;
          r_state <= S_BRANCH;
        end else begin
          r_pc <= w_next_pc;
          r_addr <= w_next_pc;
          r_state <= S_FETCH;
        end
        S_SHIFT:
        if (r_cnt != 5'd0) begin
          r_cnt <= r_cnt - 5'd1;
          r_sh <= r_shift_left ? {r_sh[30:0], 1'b0} : {r_shift_arith & r_sh[31], r_sh[31:1]};
        end else begin
          r_pc <= w_pc_plus4;
          r_addr <= w_pc_plus4;
          r_state <= S_FETCH;
        end
        S_BRANCH:
        if (w_branch_fault) begin
          r_cause <= `SOC_HALT_MISALIGNED_FETCH;
          r_state <= S_HALT;
        end else begin
          r_pc <= w_branch_pc;
          r_addr <= w_branch_pc;
          r_state <= S_FETCH;
        end
        S_MEM:
        if (i_bus_ready) begin
          r_pc <= w_pc_plus4;
          r_addr <= w_pc_plus4;
          r_wstrb <= 4'd0;
          r_state <= S_FETCH;
        end
        default: ;  // S_HALT: stay until reset
      endcase
    end
  end

  assign o_bus_valid = ~i_rst & ((r_state == S_FETCH) | (r_state == S_MEM));
  assign o_bus_addr = r_addr;
  assign o_bus_wdata = r_wdata;
  assign o_bus_wstrb = r_wstrb;

  assign o_halted = (r_state == S_HALT);
  assign o_halt_cause = r_cause;
  assign o_retire = w_retire;
  assign o_pc = r_pc;
  assign o_insn = r_ir;
  assign o_rd_we = w_rf_we;
  assign o_rd = w_rd;
  assign o_rd_wdata = w_rf_wdata;
endmodule
