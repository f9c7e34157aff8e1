// Single-master bus decoder: routes the CPU's valid to the slave whose region (soc_map.vh, all 32 address
// bits decoded) holds the address and returns that slave's ready/rdata. Accesses outside every region are
// answered by a default responder: reads return 0, writes are ignored.
`default_nettype none
`include "soc_map.vh"

module soc_bus (
    input  wire        i_clk,
    input  wire        i_rst,
    // master
    input  wire        i_valid,
    input  wire [31:0] i_addr,
    output wire        o_ready,
    output wire [31:0] o_rdata,
    // slaves, in the order ROM, RAM, UART, TIMER, SYSCTL, ACCEL, XMEM, FLASHCTL, FLASH
    output wire [8:0]  o_valid,
    input  wire [8:0]  i_ready,
    input  wire [31:0] i_rdata_rom,
    input  wire [31:0] i_rdata_ram,
    input  wire [31:0] i_rdata_uart,
    input  wire [31:0] i_rdata_timer,
    input  wire [31:0] i_rdata_sysctl,
    input  wire [31:0] i_rdata_accel,
    input  wire [31:0] i_rdata_xmem,
    input  wire [31:0] i_rdata_flashctl,
    input  wire [31:0] i_rdata_flash
);
  wire [8:0] w_hit = {
    (i_addr & `SOC_FLASH_MASK) == `SOC_FLASH_BASE,
    (i_addr & `SOC_FLASHCTL_MASK) == `SOC_FLASHCTL_BASE,
    (i_addr & `SOC_XMEM_MASK) == `SOC_XMEM_BASE,
    (i_addr & `SOC_ACCEL_MASK) == `SOC_ACCEL_BASE,
    (i_addr & `SOC_SYSCTL_MASK) == `SOC_SYSCTL_BASE,
    (i_addr & `SOC_TIMER_MASK) == `SOC_TIMER_BASE,
    (i_addr & `SOC_UART_MASK) == `SOC_UART_BASE,
    (i_addr & `SOC_RAM_MASK) == `SOC_RAM_BASE,
    (i_addr & `SOC_ROM_MASK) == `SOC_ROM_BASE
  };
  assign o_valid = {9{i_valid}} & w_hit;

  reg r_default_ready;
  always @(posedge i_clk) begin
    if (i_rst) r_default_ready <= 1'b0;
    else r_default_ready <= i_valid & (w_hit == 9'd0) & ~r_default_ready;
  end

  assign o_ready = (|(i_ready & w_hit)) | r_default_ready;
  assign o_rdata = ({32{w_hit[0]}} & i_rdata_rom) | ({32{w_hit[1]}} & i_rdata_ram) |
                   ({32{w_hit[2]}} & i_rdata_uart) | ({32{w_hit[3]}} & i_rdata_timer) |
                   ({32{w_hit[4]}} & i_rdata_sysctl) | ({32{w_hit[5]}} & i_rdata_accel) | ({32{w_hit[6]}} & i_rdata_xmem) |
                   ({32{w_hit[7]}} & i_rdata_flashctl) | ({32{w_hit[8]}} & i_rdata_flash);
endmodule
