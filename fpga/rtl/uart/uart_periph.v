// UART bus slave: TX/RX FIFOs, status, divisor, FIFO levels and control (registers: SOC_UART_* in
// soc_map.vh). With CTRL.FRAMED the RX FIFO holds COBS-decoded bytes and a marker per frame with its
// CRC-32 verdict (uart_cobs_rx.v) instead of raw line bytes.
// Bus: i_valid held until o_ready (one cycle later); side effects (push, pop, clear) happen once, in the
// first cycle of an access. Any write strobe writes the addressed register.
`default_nettype none
`include "soc_map.vh"

module uart_periph #(
    parameter integer IDX_BITS = `SOC_UART_IDX_BITS,
    parameter integer RX_DEPTH = `SOC_UART_RX_FIFO_DEPTH,
    parameter integer TX_DEPTH = `SOC_UART_TX_FIFO_DEPTH,
    parameter [31:0] DIV_RESET = `SOC_UART_DIVISOR_RESET
) (
    input  wire                i_clk,
    input  wire                i_rst,
    // bus slave
    input  wire                i_valid,
    input  wire [IDX_BITS-1:0] i_idx,
    input  wire [31:0]         i_wdata,
    input  wire [3:0]          i_wstrb,
    output reg                 o_ready,
    output reg  [31:0]         o_rdata,
    // line
    input  wire                i_rx,
    output wire                o_tx,
    output wire [15:0]         o_divisor
);
  localparam integer RXL = $clog2(RX_DEPTH) + 2;
  localparam integer TXL = $clog2(TX_DEPTH) + 2;

  // Reset divisor; simulations may override it with +uart_div=<cycles per bit>.
`ifdef SYNTHESIS
  wire [31:0] w_div_reset = DIV_RESET;
`else
  reg [31:0] w_div_reset;
  initial if (!$value$plusargs("uart_div=%d", w_div_reset)) w_div_reset = DIV_RESET;
`endif

  reg [15:0] r_div;
  reg r_framed;
  reg r_poison;  // framed: an entry was lost to a full FIFO, so the next frame marker reports bad
  reg r_overrun;
  reg r_frame_err;
  assign o_divisor = r_div;

  wire w_access = i_valid & ~o_ready;
  wire w_write = w_access & (|i_wstrb);
  wire w_read = w_access & ~(|i_wstrb);

  // TX path: FIFO -> serializer
  wire w_tx_full, w_tx_valid, w_tx_ready;
  wire [7:0] w_tx_data;
  wire [TXL-1:0] w_tx_level;
  uart_fifo #(
      .WIDTH(8),
      .DEPTH(TX_DEPTH)
  ) u_tx_fifo (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_push(w_write & (i_idx == `SOC_UART_TXDATA_IDX)),
      .i_data(i_wdata[7:0]),
      .o_full(w_tx_full),
      .i_pop(w_tx_valid & w_tx_ready),
      .o_data(w_tx_data),
      .o_valid(w_tx_valid),
      .o_level(w_tx_level)
  );
  uart_tx u_tx (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_div(r_div),
      .i_valid(w_tx_valid),
      .i_data(w_tx_data),
      .o_ready(w_tx_ready),
      .o_tx(o_tx)
  );

  // RX path: deserializer -> (framed: COBS decoder + CRC check) -> FIFO of 9-bit entries
  wire w_rx_byte, w_rx_ferr, w_rx_full, w_rx_valid;
  wire [7:0] w_rx_byte_data;
  wire [8:0] w_rx_data;
  wire [RXL-1:0] w_rx_level;
  uart_rx u_rx (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_div(r_div),
      .i_rx(i_rx),
      .o_valid(w_rx_byte),
      .o_data(w_rx_byte_data),
      .o_frame_err(w_rx_ferr)
  );
  wire w_cobs_valid;
  wire [8:0] w_cobs_entry;
  uart_cobs_rx u_cobs (
      .i_clk(i_clk),
      .i_rst(i_rst | ~r_framed),
      .i_valid(w_rx_byte),
      .i_data(w_rx_byte_data),
      .o_valid(w_cobs_valid),
      .o_entry(w_cobs_entry)
  );
  wire w_push = r_framed ? w_cobs_valid : w_rx_byte;
  wire w_mark = r_framed & w_cobs_entry[8];
  wire [8:0] w_push_data = ~r_framed ? {1'b0, w_rx_byte_data} :
                           w_mark ? {w_cobs_entry[8:1], w_cobs_entry[0] & ~r_poison} : w_cobs_entry;
  wire w_rx_pop = w_read & (i_idx == `SOC_UART_RXDATA_IDX) & w_rx_valid;
  uart_fifo #(
      .WIDTH(9),
      .DEPTH(RX_DEPTH)
  ) u_rx_fifo (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_push(w_push),
      .i_data(w_push_data),
      .o_full(w_rx_full),
      .i_pop(w_rx_pop),
      .o_data(w_rx_data),
      .o_valid(w_rx_valid),
      .o_level(w_rx_level)
  );

  wire w_tx_idle = ~w_tx_valid & w_tx_ready;
  wire [4:0] w_status = {r_frame_err, r_overrun, w_tx_idle, w_tx_full, w_rx_valid};

  always @(posedge i_clk) begin
    if (i_rst) begin
      o_ready <= 1'b0;
      o_rdata <= 32'd0;
      r_div <= w_div_reset[15:0];
      r_framed <= 1'b0;
      r_poison <= 1'b0;
      r_overrun <= 1'b0;
      r_frame_err <= 1'b0;
    end else begin
      o_ready <= w_access;
      if (w_push & w_rx_full) begin
        r_overrun <= 1'b1;
        r_poison <= r_framed;
      end else if (w_push & w_mark) begin
        r_poison <= 1'b0;
      end
      if (w_rx_ferr) r_frame_err <= 1'b1;
      if (w_write) begin
        case (i_idx)
          `SOC_UART_STATUS_IDX: begin
            if (i_wdata[`SOC_UART_STATUS_OVERRUN_BIT]) r_overrun <= 1'b0;
            if (i_wdata[`SOC_UART_STATUS_FRAME_ERR_BIT]) r_frame_err <= 1'b0;
          end
          `SOC_UART_DIVISOR_IDX: r_div <= i_wdata[15:0];
          `SOC_UART_CTRL_IDX: begin
            r_framed <= i_wdata[`SOC_UART_CTRL_FRAMED_BIT];
            r_poison <= 1'b0;
          end
          default: ;
        endcase
      end
      case (i_idx)
        `SOC_UART_TXDATA_IDX: o_rdata <= {w_tx_full, 31'd0};
        `SOC_UART_RXDATA_IDX: o_rdata <= {~w_rx_valid, 22'd0, w_rx_data};
        `SOC_UART_STATUS_IDX: o_rdata <= {27'd0, w_status};
        `SOC_UART_DIVISOR_IDX: o_rdata <= {16'd0, r_div};
        `SOC_UART_CTRL_IDX: o_rdata <= {31'd0, r_framed};
        `SOC_UART_LEVELS_IDX: o_rdata <= {{(16 - TXL) {1'b0}}, w_tx_level, {(16 - RXL) {1'b0}}, w_rx_level};
        default: o_rdata <= 32'd0;
      endcase
    end
  end

  wire w_unused = &{1'b0, i_wdata[31:16], w_div_reset[31:16]};
endmodule
