#include "uart.h"

#include "mmio.h"
#include "soc_map.h"

void uart_set_baud(uint32_t baud) {
  mmio_write(SOC_UART_DIVISOR_ADDR, (SOC_CLOCK_HZ + baud / 2) / baud);
}

void uart_putc(uint8_t c) {
  while (mmio_read(SOC_UART_TXDATA_ADDR) & SOC_UART_TXDATA_FULL_MASK) {
  }
  mmio_write(SOC_UART_TXDATA_ADDR, c);
}

int uart_getc_nonblock(void) {
  uint32_t v = mmio_read(SOC_UART_RXDATA_ADDR);
  return (v & SOC_UART_RXDATA_EMPTY_MASK) ? -1 : (int)(v & SOC_UART_RXDATA_DATA_MASK);
}

uint8_t uart_getc(void) {
  int c;
  while ((c = uart_getc_nonblock()) < 0) {
  }
  return (uint8_t)c;
}

void uart_write(const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len--) uart_putc(*p++);
}

void uart_puts(const char *s) {
  while (*s) uart_putc((uint8_t)*s++);
}

void uart_put_hex32(uint32_t value) {
  static const char digits[] = "0123456789abcdef";
  uart_puts("0x");
  for (int shift = 28; shift >= 0; shift -= 4) uart_putc((uint8_t)digits[(value >> shift) & 15u]);
}

uint32_t uart_rx_level(void) {
  return (mmio_read(SOC_UART_LEVELS_ADDR) & SOC_UART_LEVELS_RX_MASK) >> SOC_UART_LEVELS_RX_BIT;
}

void uart_flush(void) {
  while (!(mmio_read(SOC_UART_STATUS_ADDR) & SOC_UART_STATUS_TX_IDLE_MASK)) {
  }
}

uint32_t uart_take_status(void) {
  uint32_t s = mmio_read(SOC_UART_STATUS_ADDR);
  mmio_write(SOC_UART_STATUS_ADDR, s & (SOC_UART_STATUS_OVERRUN_MASK | SOC_UART_STATUS_FRAME_ERR_MASK));
  return s;
}
