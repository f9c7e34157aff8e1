// QSPI NOR flash controller (W25Q128JV-class, QE set) for the SoC bus: two slaves on one set of pins.
//
// FLASH region (i_m*): a word read is a quad I/O fast read, 0xEB on IO0, 24-bit address and mode byte on
// IO0..3, 4 dummy clocks, then 8 nibbles. CS# stays low afterwards, so a read of the next word only
// clocks 8 more nibbles (a sequential copy runs at 16 cycles a word instead of 56); any other access
// raises CS# first. Writes to the region are ignored.
//
// FLASHCTL registers (i_*): the CPU drives every other command itself (write enable, page program,
// erase, status, JEDEC ID), because they are rare and short next to reads, and erase/program timing is
// the flash's own business: CTRL.CS holds CS# low across DATA writes; a DATA write shifts 1-4 bytes out
// (IO0 only, IO1 sampled into DATA, IO2/IO3 held high as WP#/HOLD#; or all four lines with CTRL.QUAD
// for the data of a quad page program). The bus waits until the bytes are out, so no status polling of
// the controller is needed.
//
// SCLK = clk / 2: data changes while SCLK is low and both ends sample on its rising edge (the flash
// drives on the falling edge), which also lets a model that samples the pins on the SoC clock follow.
`default_nettype none
`include "soc_map.vh"

module soc_qspi_flash #(
    parameter integer IDX_BITS = `SOC_FLASHCTL_IDX_BITS
) (
    input  wire                i_clk,
    input  wire                i_rst,
    // FLASHCTL register slave
    input  wire                i_valid,
    input  wire [IDX_BITS-1:0] i_idx,
    input  wire [31:0]         i_wdata,
    input  wire [3:0]          i_wstrb,
    output reg                 o_ready,
    output reg  [31:0]         o_rdata,
    // FLASH read slave (byte address; bits 1:0 ignored)
    input  wire                i_mvalid,
    input  wire [23:0]         i_maddr,
    input  wire [3:0]          i_mwstrb,
    output reg                 o_mready,
    output reg  [31:0]         o_mrdata,
    // pins
    output reg                 o_sck,
    output reg                 o_cs_n,
    output wire [3:0]          o_io,
    output wire [3:0]          o_io_oe,
    input  wire [3:0]          i_io
);
  localparam integer AW = 24;  // 0xEB carries a 24-bit address (16 MiB)
  // phases of a shift: what drives the pins while r_left clocks run
  localparam [2:0] PH_IDLE = 3'd0, PH_CMD = 3'd1, PH_ADDR = 3'd2, PH_MODE = 3'd3, PH_DUMMY = 3'd4,
                   PH_DATA = 3'd5, PH_MAN = 3'd6, PH_GAP = 3'd7;

  reg [2:0] r_phase;
  reg [5:0] r_left;  // SCLK periods left in this phase
  reg r_quad, r_drive;
  reg [31:0] r_out, r_in;
  reg r_man_cs, r_man_quad;
  reg [1:0] r_man_bytes, r_in_bytes;
  reg r_burst;  // CS# low after a quad read: r_next is the word it would deliver next
  reg [AW-3:0] r_next;
  reg [31:0] r_bursts;
  reg r_mbusy, r_rbusy;  // a memory read / DATA write in progress (its ready comes at the end)
  reg r_after_gap;  // PH_GAP (CS# high for a clock) then start the read in r_next

  // IO0 carries single-line output; IO2/IO3 are WP#/HOLD# then and stay high.
  assign o_io = r_quad ? r_out[31:28] : {2'b11, 1'b0, r_out[31]};
  assign o_io_oe = ~r_drive ? 4'b0000 : r_quad ? 4'b1111 : 4'b1101;

  wire [AW-3:0] w_word = i_maddr[AW-1:2];
  wire w_macc = i_mvalid & ~o_mready & ~r_mbusy;
  wire w_racc = i_valid & ~o_ready & ~r_rbusy;

  function [31:0] bswap(input [31:0] w);
    bswap = {w[7:0], w[15:8], w[23:16], w[31:24]};
  endfunction

  // the bytes received last, first one in bits 7:0
  wire [31:0] w_in_aligned = bswap(r_in << {~r_in_bytes, 3'b000});

  task start_phase(input [2:0] ph, input [5:0] clocks, input quad, input drive, input [31:0] data);
    begin
      r_phase <= ph;
      r_left <= clocks;
      r_quad <= quad;
      r_drive <= drive;
      r_out <= data;
    end
  endtask

  always @(posedge i_clk) begin
    o_ready <= 1'b0;
    o_mready <= 1'b0;
    if (i_rst) begin
      r_phase <= PH_IDLE;
      r_left <= 6'd0;
      r_quad <= 1'b0;
      r_drive <= 1'b0;
      r_out <= 32'd0;
      r_in <= 32'd0;
      r_in_bytes <= 2'd0;
      r_man_cs <= 1'b0;
      r_man_quad <= 1'b0;
      r_man_bytes <= 2'd0;
      r_burst <= 1'b0;
      r_next <= {(AW - 2) {1'b0}};
      r_bursts <= 32'd0;
      r_mbusy <= 1'b0;
      r_rbusy <= 1'b0;
      r_after_gap <= 1'b0;
      o_sck <= 1'b0;
      o_cs_n <= 1'b1;
      o_rdata <= 32'd0;
      o_mrdata <= 32'd0;
    end else begin
      // ---------------------------------------------------------------- register accesses
      if (w_racc) begin
        o_rdata <= 32'd0;
        case (i_idx)
          `SOC_FLASHCTL_ID_IDX: begin
            o_rdata <= `SOC_FLASHCTL_ID_RESET;
            o_ready <= 1'b1;
          end
          `SOC_FLASHCTL_CTRL_IDX: begin
            o_rdata <= {26'd0, r_man_bytes, 2'b00, r_man_quad, r_man_cs};
            if (|i_wstrb) begin
              r_man_cs <= i_wdata[0];
              r_man_quad <= i_wdata[1];
              r_man_bytes <= i_wdata[5:4];
              // a command starts with CS# falling: end an open read burst first; clearing CS ends one
              if (i_wdata[0] && !r_man_cs) begin
                r_burst <= 1'b0;
                o_cs_n <= 1'b1;
              end
              if (!i_wdata[0]) o_cs_n <= 1'b1;
            end
            o_ready <= 1'b1;
          end
          `SOC_FLASHCTL_DATA_IDX: begin
            o_rdata <= w_in_aligned;
            if (|i_wstrb) begin
              // CS# goes low with the first DATA write of a command (it was high for at least the
              // CTRL write's cycle, the flash's deselect time at 24 MHz)
              o_cs_n <= ~r_man_cs;
              r_rbusy <= 1'b1;
              r_in_bytes <= r_man_bytes;
              start_phase(PH_MAN, r_man_quad ? {3'd0, r_man_bytes, 1'b1} + 6'd1 : {r_man_bytes, 3'b000} + 6'd8,
                          r_man_quad, 1'b1, bswap(i_wdata));
            end else o_ready <= 1'b1;
          end
          `SOC_FLASHCTL_BURSTS_IDX: begin
            o_rdata <= r_bursts;
            o_ready <= 1'b1;
          end
          default: o_ready <= 1'b1;
        endcase
      end

      // ---------------------------------------------------------------- memory reads
      if (w_macc) begin
        if (r_man_cs || (|i_mwstrb)) begin
          // a command is open (or a write): answer without touching the pins
          o_mrdata <= 32'hffff_ffff;
          o_mready <= 1'b1;
        end else begin
          r_mbusy <= 1'b1;
          if (r_burst && w_word == r_next) begin
            start_phase(PH_DATA, 6'd8, 1'b1, 1'b0, 32'd0);
          end else if (r_burst) begin
            // a jump: deselect for a clock, then a new command
            r_burst <= 1'b0;
            o_cs_n <= 1'b1;
            r_next <= w_word;
            r_after_gap <= 1'b1;
            r_phase <= PH_GAP;
          end else begin
            r_next <= w_word;
            o_cs_n <= 1'b0;
            r_bursts <= r_bursts + 32'd1;
            start_phase(PH_CMD, 6'd8, 1'b0, 1'b1, {8'heb, 24'd0});
          end
        end
      end

      // ---------------------------------------------------------------- the shifter
      if (r_phase == PH_GAP) begin
        if (r_after_gap) begin
          r_after_gap <= 1'b0;
          o_cs_n <= 1'b0;
          r_bursts <= r_bursts + 32'd1;
          start_phase(PH_CMD, 6'd8, 1'b0, 1'b1, {8'heb, 24'd0});
        end
      end else if (r_phase != PH_IDLE) begin
        if (!o_sck) o_sck <= 1'b1;
        else begin
          // rising edge done: both ends sampled; shift
          o_sck <= 1'b0;
          r_in <= r_quad ? {r_in[27:0], i_io} : {r_in[30:0], i_io[1]};
          r_out <= r_quad ? {r_out[27:0], 4'h0} : {r_out[30:0], 1'b0};
          r_left <= r_left - 6'd1;
          if (r_left == 6'd1) begin
            case (r_phase)
              PH_CMD: start_phase(PH_ADDR, 6'd6, 1'b1, 1'b1, {r_next, 2'b00, 8'h00});
              // mode byte 0xF0: bits 5:4 not "10", so no continuous-read mode (every burst sends 0xEB)
              PH_ADDR: start_phase(PH_MODE, 6'd2, 1'b1, 1'b1, 32'hf000_0000);
              PH_MODE: start_phase(PH_DUMMY, 6'd4, 1'b1, 1'b0, 32'd0);
              PH_DUMMY: start_phase(PH_DATA, 6'd8, 1'b1, 1'b0, 32'd0);
              PH_DATA: begin
                r_phase <= PH_IDLE;
                r_drive <= 1'b0;
                r_burst <= 1'b1;
                r_next <= r_next + 1'b1;
                r_mbusy <= 1'b0;
                o_mready <= 1'b1;
                o_mrdata <= bswap({r_in[27:0], i_io});
              end
              default: begin  // PH_MAN
                r_phase <= PH_IDLE;
                r_drive <= 1'b0;
                r_quad <= 1'b0;
                r_rbusy <= 1'b0;
                o_ready <= 1'b1;
              end
            endcase
          end
        end
      end
    end
  end
  wire w_unused = &{1'b0, i_maddr[1:0], i_wstrb, i_wdata[31:6]};
endmodule
