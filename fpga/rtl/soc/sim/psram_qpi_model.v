// Pin-level model of a QSPI PSRAM (APS6404-class) for testbenches: SPI mode after power-up until 0x35
// switches it to QPI; in QPI 0xEB reads (6 wait clocks) and 0x38 writes, 24-bit addresses, nibbles
// sampled on SCLK rising edges and driven after falling edges. Storage: SIZE bytes.
`default_nettype none
`timescale 1ns / 1ps

module psram_qpi_model #(
    parameter integer SIZE = 4096
) (
    input  wire       i_sclk,
    input  wire       i_cs_n,
    input  wire [3:0] i_sio,
    output reg  [3:0] o_sio,
    output reg        o_oe
);
  reg [7:0] mem[0:SIZE-1];
  reg qpi;
  integer rises;
  reg [7:0] cmd;
  reg [23:0] addr;
  reg [7:0] spi;
  reg [3:0] hi;
  integer errors;
  initial begin
    qpi = 1'b0;
    o_oe = 1'b0;
    o_sio = 4'd0;
    errors = 0;
  end
  always @(negedge i_cs_n) begin
    rises = 0;
    cmd = 8'd0;
    addr = 24'd0;
  end
  always @(posedge i_cs_n) begin
    o_oe = 1'b0;
    if (!qpi && rises == 8 && spi == 8'h35) qpi = 1'b1;
  end
  always @(posedge i_sclk)
    if (!i_cs_n) begin
      if (!qpi) spi = {spi[6:0], i_sio[0]};
      else if (rises < 2) cmd = {cmd[3:0], i_sio};
      else if (rises < 8) addr = {addr[19:0], i_sio};
      else if (cmd == 8'h38) begin
        if ((rises - 8) % 2 == 0) hi = i_sio;
        else begin
          mem[addr % SIZE] = {hi, i_sio};
          addr = addr + 1;
        end
      end else if (cmd != 8'heb) errors = errors + 1;
      rises = rises + 1;
    end
  always @(negedge i_sclk)
    if (!i_cs_n && qpi && cmd == 8'heb && rises >= 14) begin
      o_oe = 1'b1;
      o_sio = ((rises - 14) % 2 == 0) ? mem[(addr + (rises - 14) / 2) % SIZE][7:4]
                                       : mem[(addr + (rises - 14) / 2) % SIZE][3:0];
    end
endmodule
