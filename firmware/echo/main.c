/* Skeleton firmware for the boot ROM alone (the default make target): prints a banner, then echoes every
 * received byte. The sim tests use it to check the UART bridge; the protocol app is firmware/app/. */
#include <stdint.h>

#include "sys.h"
#include "timer.h"
#include "uart.h"

int main(void) {
  sys_leds(SOC_SYSCTL_LEDS_GREEN_MASK);
  uart_puts("QUART-FW skeleton id=");
  uart_put_hex32(sys_id());
  uart_puts(" map=");
  uart_put_hex32(sys_map_hash());
  uart_puts(" fw_map=");
  uart_put_hex32(SOC_MAP_HASH);
  uart_puts(" reset=");
  uart_put_hex32(sys_reset_cause());
  uart_puts(" boot_cycles=");
  uart_put_hex32(cycles32());
  uart_puts("\r\n");
  for (;;) {
    int c = uart_getc_nonblock();
    if (c >= 0) uart_putc((uint8_t)c);
  }
}
