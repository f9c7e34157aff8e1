// Pin-level QSPI NOR flash (W25Q128JV-class with QE set), sampled on a clock faster than SCLK: the
// SoC clock in the Verilator device, the testbench's clock in iverilog. SCLK edges are seen one clock
// late, which SCLK = clk / 2 allows; the output nibble/bit is combinational from the count of rising
// edges, so it is valid at the next rising edge as a real part's falling-edge output would be.
//
// Commands: 0x06 write enable, 0x04 write disable, 0x05 / 0x35 status registers 1 / 2 (BUSY, WEL; QE),
// 0x9F JEDEC ID, 0x02 page program (data on IO0), 0x32 quad page program (data on IO0..3), 0x20 4 KiB
// sector erase, 0xD8 64 KiB block erase, 0x03 read, 0xEB quad I/O fast read (mode byte, 4 dummy clocks).
// Program and erase act only with WEL set and a whole number of bytes when CS# rises, as the part does;
// programming ANDs (bits only go 1 -> 0), the page address wraps inside its 256 bytes, and an erase
// sets its sector to 0xFF when its busy time ends. While BUSY every command but the status reads is
// ignored. Busy times are parameters (the SoC uses the data sheet's typical figures, fpga/soc/map.ts).
//
// r_mem is public: the simulator harness loads it from and saves it to the file given with --flash
// (sim/verilator/main.cpp), so a model written by LOAD survives a power cycle of the sim.
`default_nettype none

module spi_flash_model #(
    parameter integer AW = 24,
    parameter integer SECTOR_ERASE_CYCLES = 1080000,
    parameter integer BLOCK_ERASE_CYCLES = 3600000,
    parameter integer PAGE_PROGRAM_CYCLES = 9600,
    parameter [23:0] JEDEC_ID = 24'hef4018
) (
    input  wire       i_clk,
    input  wire       i_sck,
    input  wire       i_cs_n,
    input  wire [3:0] i_io,
    output wire [3:0] o_io,
    output wire [3:0] o_oe,
    // counters for tests: commands that completed
    output reg [31:0] o_programs,
    output reg [31:0] o_erases
);
  reg [7:0] r_mem[0:(1<<AW)-1]  /*verilator public_flat_rw*/;
  reg [7:0] r_page[0:255];
  reg [255:0] r_page_set;
  reg r_sck_d = 1'b0;
  reg [31:0] r_rises = 32'd0;  // a quad read may stream the whole array in one command
  reg [7:0] r_cmd = 8'd0;
  reg [23:0] r_addr = 24'd0;
  reg [6:0] r_byte = 7'd0;  // bits of the data byte so far
  reg [7:0] r_page_at = 8'd0;  // next byte of the page buffer
  reg [3:0] r_hi = 4'd0;
  reg r_wel = 1'b0;
  reg [31:0] r_busy = 32'd0;
  reg [1:0] r_pending = 2'd0;  // 1 erase sector, 2 erase block, 3 program page: applied when busy ends
  reg [23:0] r_op_addr = 24'd0;
  integer i;

  initial begin
    for (i = 0; i < (1 << AW); i = i + 1) r_mem[i] = 8'hff;
    r_page_set = 256'd0;
    o_programs = 32'd0;
    o_erases = 32'd0;
  end

  wire w_busy = r_busy != 32'd0;
  wire [7:0] w_sr1 = {6'd0, r_wel, w_busy};
  wire [7:0] w_sr2 = 8'h02;  // QE
  wire w_quad_cmd = r_cmd == 8'heb;
  // single-line commands: command (8 rises) then address (24) for reads/programs/erases
  wire [31:0] w_k = r_rises - 32'd8;
  // what the flash sends on IO1 (single) or IO0..3 (quad) for the current clock
  wire [31:0] w_qk = r_rises - 32'd20;  // 0xEB: cmd 8, addr 6, mode 2, dummy 4
  wire [AW-1:0] w_qaddr = r_addr[AW-1:0] + w_qk[AW:1];
  wire [7:0] w_qbyte = r_mem[w_qaddr];
  wire [31:0] w_sk = r_rises - 32'd32;  // 0x03: cmd 8, addr 24
  wire [AW-1:0] w_saddr = r_addr[AW-1:0] + w_sk[AW+2:3];
  wire [7:0] w_sbyte = r_mem[w_saddr];
  reg [7:0] r_out_byte;
  reg r_single_out;
  always @* begin
    r_single_out = 1'b0;
    r_out_byte = 8'h00;
    if (r_rises >= 32'd8) begin
      case (r_cmd)
        8'h05: begin
          r_single_out = 1'b1;
          r_out_byte = w_sr1;
        end
        8'h35: begin
          r_single_out = !w_busy;
          r_out_byte = w_sr2;
        end
        8'h9f: begin
          r_single_out = !w_busy;
          r_out_byte = w_k[4:3] == 2'd0 ? JEDEC_ID[23:16] : w_k[4:3] == 2'd1 ? JEDEC_ID[15:8] : JEDEC_ID[7:0];
        end
        8'h03: begin
          r_single_out = !w_busy && r_rises >= 32'd32;
          r_out_byte = w_sbyte;
        end
        default: ;
      endcase
    end
  end
  wire [2:0] w_bit = r_cmd == 8'h03 ? ~w_sk[2:0] : ~w_k[2:0];
  wire w_quad_out = ~i_cs_n & ~w_busy & w_quad_cmd & (r_rises >= 32'd20);
  assign o_oe = w_quad_out ? 4'b1111 : (~i_cs_n & r_single_out) ? 4'b0010 : 4'b0000;
  assign o_io = w_quad_out ? (w_qk[0] ? w_qbyte[3:0] : w_qbyte[7:4]) : {2'b00, r_out_byte[w_bit], 1'b0};

  wire w_rise = ~i_cs_n & i_sck & ~r_sck_d;
  // a page program acts on CS# rising after a whole number of data bytes
  wire w_prog_ok = r_wel & (r_cmd == 8'h02 ? r_rises > 32'd32 && r_rises[2:0] == 3'd0 :
                            r_cmd == 8'h32 ? r_rises > 32'd32 && r_rises[0] == 1'b0 : 1'b0);

  // where the pending program or erase acts (sector, block and page bases are taken from it)
  wire [AW-1:0] w_op = r_op_addr[AW-1:0];

  always @(posedge i_clk) begin
    r_sck_d <= i_sck;
    if (w_busy) begin
      r_busy <= r_busy - 32'd1;
      if (r_busy == 32'd1) begin
        r_wel <= 1'b0;
        // blocking: Verilator cannot delay array assignments inside loops (the model is simulation-only)
        /* verilator lint_off BLKSEQ */
        case (r_pending)
          2'd1: for (i = 0; i < 4096; i = i + 1) r_mem[((w_op >> 12) << 12) + i[AW-1:0]] = 8'hff;
          2'd2: for (i = 0; i < 65536; i = i + 1) r_mem[((w_op >> 16) << 16) + i[AW-1:0]] = 8'hff;
          2'd3:
          for (i = 0; i < 256; i = i + 1)
            if (r_page_set[i]) r_mem[((w_op >> 8) << 8) + i[AW-1:0]] = r_mem[((w_op >> 8) << 8) + i[AW-1:0]] & r_page[i];
          default: ;
        endcase
        /* verilator lint_on BLKSEQ */
        if (r_pending == 2'd3) r_page_set <= 256'd0;
        if (r_pending == 2'd3) o_programs <= o_programs + 32'd1;
        else if (r_pending != 2'd0) o_erases <= o_erases + 32'd1;
        r_pending <= 2'd0;
      end
    end
    if (i_cs_n) begin
      // CS# rising: commands that act on deselect
      if (r_rises != 32'd0 && !w_busy) begin
        if (r_rises == 32'd8 && r_cmd == 8'h06) r_wel <= 1'b1;
        if (r_rises == 32'd8 && r_cmd == 8'h04) r_wel <= 1'b0;
        if (r_wel && r_rises == 32'd32 && (r_cmd == 8'h20 || r_cmd == 8'hd8)) begin
          r_pending <= r_cmd == 8'h20 ? 2'd1 : 2'd2;
          r_op_addr <= r_addr;
          r_busy <= r_cmd == 8'h20 ? SECTOR_ERASE_CYCLES : BLOCK_ERASE_CYCLES;
        end
        if (w_prog_ok) begin
          r_pending <= 2'd3;
          r_op_addr <= r_addr;
          r_busy <= PAGE_PROGRAM_CYCLES;
        end else r_page_set <= 256'd0;  // a program that did not qualify leaves nothing behind
      end
      r_rises <= 32'd0;
    end else if (w_rise) begin
      r_rises <= r_rises + 32'd1;
      if (r_rises < 32'd8) r_cmd <= {r_cmd[6:0], i_io[0]};
      else if (r_cmd == 8'heb) begin
        if (r_rises < 32'd14) r_addr <= {r_addr[19:0], i_io};
      end else if (r_rises < 32'd32) begin
        r_addr <= {r_addr[22:0], i_io[0]};
        if (r_rises == 32'd31) r_page_at <= {r_addr[6:0], i_io[0]};
      end else if (!w_busy && r_wel && r_cmd == 8'h02) begin
        r_byte <= {r_byte[5:0], i_io[0]};
        if (r_rises[2:0] == 3'd7) begin
          r_page[r_page_at] <= {r_byte[6:0], i_io[0]};
          r_page_set[r_page_at] <= 1'b1;
          r_page_at <= r_page_at + 8'd1;
        end
      end else if (!w_busy && r_wel && r_cmd == 8'h32) begin
        if (!r_rises[0]) r_hi <= i_io;
        else begin
          r_page[r_page_at] <= {r_hi, i_io};
          r_page_set[r_page_at] <= 1'b1;
          r_page_at <= r_page_at + 8'd1;
        end
      end
    end
  end
  wire w_unused = &{1'b0, r_op_addr[7:0], w_k[31:5], w_qk[31:AW+1], w_sk[31:AW+3]};
endmodule
