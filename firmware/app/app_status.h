/* Firmware status codes of the app callbacks: the device reports them in ERROR.detail. */
#ifndef QUART_APP_STATUS_H
#define QUART_APP_STATUS_H

/* Bumped when the app's behaviour visible to the host changes (INFO.firmware "fw<N>"). */
#define APP_FIRMWARE_VERSION 1

/* RUN: the accelerator is not integrated yet (ERROR RUN_FAILED, detail = this). */
#define APP_ST_RUN_UNSUPPORTED 0x4e53 /* "NS" */
/* A staging/input/output access outside its area. */
#define APP_ST_OUT_OF_RANGE 0x4f52 /* "OR" */

#endif
