// RV32I integer ALU (combinational), shifts excepted (the CPU shifts serially). One adder serves add,
// sub, slt(u) and the branch orders; equality has its own comparator.
`default_nettype none

module rv32i_alu (
    input  wire [31:0] i_a,
    input  wire [31:0] i_b,
    input  wire [ 2:0] i_funct3,  // 000 add/sub, 010 slt, 011 sltu, 100 xor, 110 or, 111 and
    input  wire        i_sub,     // subtract (sub, slt, sltu, branches)
    output reg  [31:0] o_result,
    output wire [31:0] o_sum,     // adder output alone (addresses: its low bits are early)
    output wire        o_eq,
    output wire        o_lt,
    output wire        o_ltu
);
  // 33-bit add/sub: bit 32 of a - b is the carry (no borrow: a >= b unsigned).
  wire [32:0] w_sum = {1'b0, i_a} + {1'b0, i_sub ? ~i_b : i_b} + {32'd0, i_sub};
  assign o_ltu = ~w_sum[32];
  assign o_lt  = (i_a[31] ^ i_b[31]) ? i_a[31] : w_sum[31];
  assign o_eq  = (i_a == i_b);
  assign o_sum = w_sum[31:0];

  always @(*) begin
    case (i_funct3)
      3'b010:  o_result = {31'd0, o_lt};
      3'b011:  o_result = {31'd0, o_ltu};
      3'b100:  o_result = i_a ^ i_b;
      3'b110:  o_result = i_a | i_b;
      3'b111:  o_result = i_a & i_b;
      default: o_result = w_sum[31:0];
    endcase
  end
endmodule
