// RV32I instruction decoder: instruction class, immediate, legality.
// Legal: the RV32I base, FENCE/FENCE.I (executed as no-ops) and reads of the read-only counters
// cycle/time/instret(h) through the Zicsr instructions. Everything else is illegal, including
// any Zicsr form that would write a CSR (csrrw/csrrwi always, csrrs/csrrc with rs1/uimm != 0).
`default_nettype none

module rv32i_decode (
    input  wire [31:0] i_insn,
    output wire        o_lui,
    output wire        o_auipc,
    output wire        o_jal,
    output wire        o_jalr,
    output wire        o_branch,
    output wire        o_load,
    output wire        o_store,
    output wire        o_opimm,
    output wire        o_op,
    output wire        o_csr,
    output wire        o_ecall,
    output wire        o_ebreak,
    output wire        o_illegal,
    output wire        o_writes_rd,  // instruction class writes rd (rd may still be x0)
    output reg  [31:0] o_imm
);
  wire [6:0] w_opcode = i_insn[6:0];
  wire [2:0] w_f3 = i_insn[14:12];
  wire [6:0] w_f7 = i_insn[31:25];
  wire [11:0] w_csr_addr = i_insn[31:20];

  assign o_lui    = (w_opcode == 7'b0110111);
  assign o_auipc  = (w_opcode == 7'b0010111);
  assign o_jal    = (w_opcode == 7'b1101111);
  wire   w_jalr_op = (w_opcode == 7'b1100111);
  wire   w_br_op   = (w_opcode == 7'b1100011);
  wire   w_ld_op   = (w_opcode == 7'b0000011);
  wire   w_st_op   = (w_opcode == 7'b0100011);
  wire   w_imm_op  = (w_opcode == 7'b0010011);
  wire   w_reg_op  = (w_opcode == 7'b0110011);
  wire   w_fence_op = (w_opcode == 7'b0001111);
  wire   w_sys_op  = (w_opcode == 7'b1110011);

  assign o_jalr   = w_jalr_op & (w_f3 == 3'b000);
  assign o_branch = w_br_op & (w_f3[2:1] != 2'b01);
  assign o_load   = w_ld_op & (w_f3 != 3'b011) & (w_f3[2:1] != 2'b11);
  assign o_store  = w_st_op & (w_f3[2] == 1'b0) & (w_f3[1:0] != 2'b11);

  wire w_shift = (w_f3[1:0] == 2'b01);  // sll / srl / sra
  wire w_f7_zero = (w_f7 == 7'b0000000);
  wire w_f7_alt = (w_f7 == 7'b0100000);
  assign o_opimm = w_imm_op & (~w_shift | w_f7_zero | (w_f7_alt & w_f3[2]));
  assign o_op    = w_reg_op & (w_f7_zero | (w_f7_alt & ((w_f3 == 3'b000) | (w_f3 == 3'b101))));
  wire   w_fence = w_fence_op & (w_f3[2:1] == 2'b00);

  assign o_ecall  = w_sys_op & (i_insn[31:7] == 25'd0);
  assign o_ebreak = w_sys_op & (i_insn[31:7] == {12'd1, 13'd0});

  // Read-only counters: cycle c00, time c01, instret c02 and their high halves c80..c82.
  wire w_csr_known = ({w_csr_addr[11:8], w_csr_addr[6:2]} == {4'hc, 5'd0}) &
                     (w_csr_addr[1:0] != 2'b11);
  wire w_unused_csr_high = w_csr_addr[7];  // cycle vs cycleh: chosen by the CPU
  wire w_csr_writes = (w_f3[1:0] == 2'b01) | (i_insn[19:15] != 5'd0);
  assign o_csr = w_sys_op & (w_f3[1:0] != 2'b00) & w_csr_known & ~w_csr_writes;

  assign o_illegal = ~(o_lui | o_auipc | o_jal | o_jalr | o_branch | o_load | o_store | o_opimm |
                       o_op | w_fence | o_csr | o_ecall | o_ebreak);
  assign o_writes_rd = o_lui | o_auipc | o_jal | o_jalr | o_opimm | o_op | o_csr | o_load;

  always @(*) begin
    case (1'b1)
      o_lui, o_auipc: o_imm = {i_insn[31:12], 12'd0};
      o_jal:          o_imm = {{12{i_insn[31]}}, i_insn[19:12], i_insn[20], i_insn[30:21], 1'b0};
      w_br_op:        o_imm = {{20{i_insn[31]}}, i_insn[7], i_insn[30:25], i_insn[11:8], 1'b0};
      w_st_op:        o_imm = {{21{i_insn[31]}}, i_insn[30:25], i_insn[11:7]};
      default:        o_imm = {{21{i_insn[31]}}, i_insn[30:20]};
    endcase
  end
endmodule
