/* picolibc stdio on the UART: printf() and friends write to it ("\n" becomes "\r\n"); stdin reads it. */
#include <stdio.h>

#include "uart.h"

static int stdio_putc(char c, FILE *file) {
  (void)file;
  if (c == '\n') uart_putc('\r');
  uart_putc((uint8_t)c);
  return (unsigned char)c;
}

static int stdio_getc(FILE *file) {
  (void)file;
  return uart_getc();
}

static FILE uart_stdio = FDEV_SETUP_STREAM(stdio_putc, stdio_getc, NULL, _FDEV_SETUP_RW);
FILE *const stdin = &uart_stdio;
FILE *const stdout = &uart_stdio;
FILE *const stderr = &uart_stdio;
