// Behavioural model of the iCE40UP5K single-port RAM primitive for simulation (never synthesised: yosys
// maps the real primitive). 16 K x 16 bit; MASKWREN enables nibbles; DATAOUT is registered on reads and
// holds during writes and when not selected. Port names are the vendor's.
`default_nettype none

module SB_SPRAM256KA (
    input  wire [13:0] ADDRESS,
    input  wire [15:0] DATAIN,
    input  wire [3:0]  MASKWREN,
    input  wire        WREN,
    input  wire        CHIPSELECT,
    input  wire        CLOCK,
    input  wire        STANDBY,
    input  wire        SLEEP,
    input  wire        POWEROFF,  // active low: 1 = powered
    output reg  [15:0] DATAOUT
);
  reg [15:0] r_mem[0:16383]  /*verilator public_flat_rw*/;  // the sim harness preloads it (--ram-image)
  wire w_on = CHIPSELECT & ~STANDBY & ~SLEEP & POWEROFF;

  initial DATAOUT = 16'd0;

  always @(posedge CLOCK) begin
    if (w_on & WREN) begin
      if (MASKWREN[0]) r_mem[ADDRESS][3:0] <= DATAIN[3:0];
      if (MASKWREN[1]) r_mem[ADDRESS][7:4] <= DATAIN[7:4];
      if (MASKWREN[2]) r_mem[ADDRESS][11:8] <= DATAIN[11:8];
      if (MASKWREN[3]) r_mem[ADDRESS][15:12] <= DATAIN[15:12];
    end
    if (w_on & ~WREN) DATAOUT <= r_mem[ADDRESS];
  end
endmodule
