/* UART driver (8N1, FIFOs in hardware). */
#ifndef QUART_UART_H
#define QUART_UART_H

#include <stddef.h>
#include <stdint.h>

/* Sets the line rate (rounded to the nearest divisor of SOC_CLOCK_HZ). */
void uart_set_baud(uint32_t baud);
/* Queues one byte, waiting while the TX FIFO is full. */
void uart_putc(uint8_t c);
/* The next received byte (0..255), or -1 when none is waiting. */
int uart_getc_nonblock(void);
/* Waits for the next received byte. */
uint8_t uart_getc(void);
/* Queues len bytes. */
void uart_write(const void *buf, size_t len);
/* Queues a NUL-terminated string. */
void uart_puts(const char *s);
/* Queues "0x" and eight hex digits. */
void uart_put_hex32(uint32_t value);
/* Bytes waiting in the RX FIFO. */
uint32_t uart_rx_level(void);
/* Waits until every queued byte has left the transmitter. */
void uart_flush(void);
/* STATUS register (SOC_UART_STATUS_*); clears the sticky OVERRUN/FRAME_ERR flags it returns. */
uint32_t uart_take_status(void);

#endif
