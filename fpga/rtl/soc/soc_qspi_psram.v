// QSPI PSRAM controller (APS6404-class, 8 MiB, on a PMOD) at the memory-device interface of soc_xmem.v:
// the board's replacement for sim/soc_psram_sim.v. First version: SCLK = clk / 2 (12 MHz at 24 MHz), so a
// byte takes 4 cycles and a read 28 cycles before its first byte (QPI command 2 + address 6 + 6 wait
// clocks) — half the rate the simulation's model and the map's XMEM_* constants assume (SCLK = clk, which
// needs DDR outputs). After reset it waits POWERUP_CYCLES (150 us), then switches the PSRAM to QPI (0x35
// in SPI mode). Reads are 0xEB, writes 0x38; a transfer is split at every BURST-byte boundary (CE# low time
// and page limits). A write byte whose nibble enables are not both set (4-bit DMA rows at odd element
// offsets) is a read-modify-write: the burst ends, the old byte is read, the merged byte starts a new write
// burst that continues with the following bytes. The pins go to SB_IO tristate buffers in the top level
// (o_sio_oe: drive o_sio).
`default_nettype none

module soc_qspi_psram #(
    parameter integer AW = 23,
    parameter integer POWERUP_CYCLES = 3600,
    parameter integer BURST = 64
) (
    input  wire          i_clk,
    input  wire          i_rst,
    // memory-device interface (soc_xmem.v)
    input  wire          i_start,
    input  wire [AW-1:0] i_addr,
    input  wire [15:0]   i_len,
    input  wire          i_we,
    input  wire          i_abort,
    output wire          o_busy,
    output wire          o_slot,
    output reg  [7:0]    o_rdata,
    input  wire          i_move,
    input  wire [7:0]    i_wdata,
    input  wire [1:0]    i_wmask,
    // PSRAM pins
    output reg           o_sclk,
    output reg           o_cs_n,
    output reg  [3:0]    o_sio,
    output reg           o_sio_oe,
    input  wire [3:0]    i_sio
);
  localparam [3:0] S_PWR = 4'd0, S_INIT = 4'd1, S_IDLE = 4'd2, S_CMD = 4'd3, S_WAIT = 4'd4, S_RDATA = 4'd5,
                   S_WNEED = 4'd6, S_WDATA = 4'd7, S_GAP = 4'd8;
  reg [3:0] r_state;
  reg [15:0] r_timer;
  reg [31:0] r_sh;
  reg [3:0] r_cnt;  // QSPI clocks left in this phase
  reg r_ph;  // 0: SCLK low half, 1: SCLK high half
  reg r_nib;  // read: second nibble of the byte next
  reg [3:0] r_hi;
  reg [AW-1:0] r_addr;
  reg [15:0] r_left;
  reg r_we;
  reg r_more;  // after the gap: continue the transfer with a new command
  reg r_rslot;
  reg [1:0] r_rmw;  // 0: none, 1: reading the old byte, 2: writing the merged byte
  reg [7:0] r_wbyte;
  reg [1:0] r_wmask;
  wire w_cmd_we = r_we & (r_rmw != 2'd1);

  wire [AW-1:0] w_next = r_addr + 1'b1;
  wire w_split = (w_next[$clog2(BURST)-1:0] == {$clog2(BURST){1'b0}});
  wire [23:0] w_addr24 = {{(24 - AW) {1'b0}}, r_addr};
  wire w_clocked = (r_state == S_INIT) | (r_state == S_CMD) | (r_state == S_WAIT) | (r_state == S_RDATA) |
                   (r_state == S_WDATA);
  wire w_fall = w_clocked & r_ph;  // this edge ends a QSPI clock

  assign o_busy = (r_state != S_IDLE);
  assign o_slot = r_rslot | (r_state == S_WNEED);

  // after a byte: the end, a new burst, or the next byte
  task next_byte;
    begin
      r_addr <= w_next;
      r_left <= r_left - 1'b1;
      if (r_left == 16'd1) begin
        r_more <= 1'b0;
        r_state <= S_GAP;
        r_timer <= 16'd2;
      end else if (w_split) begin
        r_more <= 1'b1;
        r_state <= S_GAP;
        r_timer <= 16'd2;
      end else if (r_we) r_state <= S_WNEED;
    end
  endtask

  always @(posedge i_clk) begin
    r_rslot <= 1'b0;
    if (w_clocked) begin
      r_ph <= ~r_ph;
      o_sclk <= ~r_ph;
    end
    if (i_rst) begin
      r_rmw <= 2'd0;
      r_state <= S_PWR;
      r_timer <= POWERUP_CYCLES[15:0];
      o_cs_n <= 1'b1;
      o_sclk <= 1'b0;
      o_sio_oe <= 1'b0;
      o_sio <= 4'd0;
      r_ph <= 1'b0;
    end else if (i_abort && r_state != S_PWR && r_state != S_INIT && r_state != S_IDLE) begin
      o_cs_n <= 1'b1;
      o_sio_oe <= 1'b0;
      o_sclk <= 1'b0;
      r_ph <= 1'b0;
      r_more <= 1'b0;
      r_rmw <= 2'd0;
      r_state <= S_GAP;
      r_timer <= 16'd2;
    end else begin
      case (r_state)
        S_PWR:
        if (r_timer != 16'd0) r_timer <= r_timer - 1'b1;
        else begin
          // 0x35 (enter QPI) in SPI mode: 8 clocks on SIO0, MSB first
          r_state <= S_INIT;
          r_sh <= {8'h35, 24'd0};
          r_cnt <= 4'd8;
          o_cs_n <= 1'b0;
          o_sio_oe <= 1'b1;
          o_sio <= {3'b000, 1'b0};
        end
        S_INIT:
        if (w_fall) begin
          r_sh <= {r_sh[30:0], 1'b0};
          o_sio <= {3'b000, r_sh[30]};
          r_cnt <= r_cnt - 1'b1;
          if (r_cnt == 4'd1) begin
            r_more <= 1'b0;
            r_state <= S_GAP;
            r_timer <= 16'd2;
          end
        end else if (r_cnt == 4'd8 && !r_ph) o_sio <= {3'b000, r_sh[31]};
        S_IDLE:
        if (i_start) begin
          r_addr <= i_addr;
          r_left <= i_len;
          r_we <= i_we;
          r_state <= S_CMD;
          r_sh <= {i_we ? 8'h38 : 8'heb, {(24 - AW) {1'b0}}, i_addr};
          r_cnt <= 4'd8;
          o_cs_n <= 1'b0;
          o_sio_oe <= 1'b1;
          o_sio <= i_we ? 4'h3 : 4'he;
        end
        S_CMD:
        if (w_fall) begin
          r_sh <= {r_sh[27:0], 4'd0};
          o_sio <= r_sh[27:24];
          r_cnt <= r_cnt - 1'b1;
          if (r_cnt == 4'd1) begin
            if (r_rmw == 2'd2) begin
              // the merged byte opens the new write burst
              r_rmw <= 2'd0;
              r_sh <= {r_wbyte[3:0], 28'd0};
              o_sio <= r_wbyte[7:4];
              r_cnt <= 4'd2;
              r_state <= S_WDATA;
            end else if (w_cmd_we) begin
              r_state <= S_WNEED;
            end else begin
              r_state <= S_WAIT;
              r_cnt <= 4'd6;
              o_sio_oe <= 1'b0;
            end
          end
        end
        S_WAIT:
        if (w_fall) begin
          r_cnt <= r_cnt - 1'b1;
          if (r_cnt == 4'd1) begin
            r_state <= S_RDATA;
            r_nib <= 1'b0;
          end
        end
        S_RDATA:
        if (!r_ph) begin
          // SCLK rises: sample the nibble the PSRAM drove after the last falling edge
          if (!r_nib) r_hi <= i_sio;
          else if (r_rmw == 2'd1)
            r_wbyte <= {r_wmask[1] ? r_wbyte[7:4] : r_hi, r_wmask[0] ? r_wbyte[3:0] : i_sio};
          else begin
            o_rdata <= {r_hi, i_sio};
            r_rslot <= 1'b1;
          end
        end else begin
          r_nib <= ~r_nib;
          if (r_nib && r_rmw == 2'd1) begin
            r_rmw <= 2'd2;
            r_more <= 1'b1;
            r_state <= S_GAP;
            r_timer <= 16'd2;
          end else if (r_nib) next_byte;
        end
        S_WNEED:
        if (i_move && i_wmask != 2'b11) begin
          // partial byte: end the burst, read the old byte, write the merged one
          r_wbyte <= i_wdata;
          r_wmask <= i_wmask;
          r_rmw <= 2'd1;
          r_more <= 1'b1;
          r_state <= S_GAP;
          r_timer <= 16'd2;
        end else if (i_move) begin
          r_sh <= {i_wdata[3:0], 28'd0};
          o_sio <= i_wdata[7:4];
          r_cnt <= 4'd2;
          r_state <= S_WDATA;
        end
        S_WDATA:
        if (w_fall) begin
          o_sio <= r_sh[31:28];
          r_sh <= {r_sh[27:0], 4'd0};
          r_cnt <= r_cnt - 1'b1;
          if (r_cnt == 4'd1) next_byte;
        end
        S_GAP: begin
          // CE# high between commands (tCPH), SCLK low
          o_cs_n <= 1'b1;
          o_sio_oe <= 1'b0;
          o_sclk <= 1'b0;
          r_ph <= 1'b0;
          if (r_timer != 16'd0) r_timer <= r_timer - 1'b1;
          else if (r_more) begin
            r_state <= S_CMD;
            r_sh <= {w_cmd_we ? 8'h38 : 8'heb, w_addr24};
            r_cnt <= 4'd8;
            o_cs_n <= 1'b0;
            o_sio_oe <= 1'b1;
            o_sio <= w_cmd_we ? 4'h3 : 4'he;
          end else r_state <= S_IDLE;
        end
        default: r_state <= S_IDLE;
      endcase
    end
  end
endmodule
