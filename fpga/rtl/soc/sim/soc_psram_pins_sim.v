// Pin-level PSRAM (APS6404-class) for the SoC simulation with the board controller (define SOC_XMEM_PINS):
// sampled on the SoC clock, so it suits Verilator; SCLK edges are seen one clock late, which the
// controller's SCLK = clk / 2 allows. SPI mode until 0x35 switches it to QPI; 0xEB reads (6 wait clocks;
// the data nibble is combinational from the count of rising edges) and 0x38 writes, 24-bit addresses.
`default_nettype none

module soc_psram_pins_sim #(
    parameter integer AW = 23
) (
    input  wire       i_clk,
    input  wire       i_sclk,
    input  wire       i_cs_n,
    input  wire [3:0] i_sio,
    output wire [3:0] o_sio,
    output wire       o_oe
);
  reg [7:0] r_mem[0:(1<<AW)-1];
  reg r_qpi = 1'b0;
  reg r_sclk_d = 1'b0;
  reg [15:0] r_rises = 16'd0;
  reg [7:0] r_cmd = 8'd0;
  reg [23:0] r_addr = 24'd0;
  reg [7:0] r_spi = 8'd0;
  reg [3:0] r_hi = 4'd0;

  wire w_read = ~i_cs_n & r_qpi & (r_cmd == 8'heb) & (r_rises >= 16'd14);
  wire [15:0] w_k = r_rises - 16'd14;
  wire [AW-1:0] w_raddr = r_addr[AW-1:0] + {{(AW - 15) {1'b0}}, w_k[15:1]};
  wire [7:0] w_rbyte = r_mem[w_raddr];
  assign o_oe = w_read;
  assign o_sio = w_k[0] ? w_rbyte[3:0] : w_rbyte[7:4];

  always @(posedge i_clk) begin
    r_sclk_d <= i_sclk;
    if (i_cs_n) begin
      if (!r_qpi && r_rises == 16'd8 && r_spi == 8'h35) r_qpi <= 1'b1;
      r_rises <= 16'd0;
    end else if (i_sclk && !r_sclk_d) begin
      r_rises <= r_rises + 1'b1;
      if (!r_qpi) r_spi <= {r_spi[6:0], i_sio[0]};
      else if (r_rises < 16'd2) r_cmd <= {r_cmd[3:0], i_sio};
      else if (r_rises < 16'd8) r_addr <= {r_addr[19:0], i_sio};
      else if (r_cmd == 8'h38) begin
        if (!r_rises[0]) r_hi <= i_sio;
        else begin
          r_mem[r_addr[AW-1:0]] <= {r_hi, i_sio};
          r_addr <= r_addr + 1'b1;
        end
      end
    end
  end
  wire w_unused = &{1'b0, r_addr[23:AW]};
endmodule
