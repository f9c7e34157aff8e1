/* Firmware status codes of the app callbacks: the device reports them in ERROR.detail. */
#ifndef QUART_APP_STATUS_H
#define QUART_APP_STATUS_H

/* Bumped when the app's behaviour visible to the host changes (INFO.firmware "fw<N>"). */
#define APP_FIRMWARE_VERSION 3

/* RUN: no accelerator in this build (ERROR RUN_FAILED, detail = this). */
#define APP_ST_RUN_UNSUPPORTED 0x4e53 /* "NS" */
/* RUN: the active blob is not one the accelerator can run (header, sections), or was built for another ISA. */
#define APP_ST_BLOB_BAD 0x4242 /* "BB" */
#define APP_ST_BLOB_ISA 0x4249 /* "BI" */
/* RUN: RUN.layout missing or inconsistent with the input frame or the blob's arena. */
#define APP_ST_BAD_LAYOUT 0x424c /* "BL" */
/* RUN: the accelerator did not finish within RUN_TIMEOUT_CYCLES (it was reset). */
#define APP_ST_RUN_TIMEOUT 0x5254 /* "RT" */
/* RUN: the accelerator stopped on an error (it was reset); bits 15:8 hold STATUS' error source and code. */
#define APP_ST_ACCEL_ERROR 0x450000 /* "E" << 16 */
/* LOAD_END: the blob or its commit record read back from flash differs from what was written (the
 * previous model stays stored and active; ERROR COMMIT_FAILED, detail = this). */
#define APP_ST_FLASH_VERIFY 0x4656 /* "FV" */
/* A staging/input/output access outside its area. */
#define APP_ST_OUT_OF_RANGE 0x4f52 /* "OR" */

#endif
