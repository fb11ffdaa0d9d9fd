#ifndef MARKETPRISM_CRC32_FOLD_H
#define MARKETPRISM_CRC32_FOLD_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has PCLMULQDQ (x86-64 only; 0 elsewhere).
int marketprism_crc32_fold_available(void);

/// Continues the raw (not inverted) reflected CRC-32 state `crc` (zlib polynomial) over `length`
/// bytes, 16 at a time by carry-less multiplication. `length` must be a multiple of 16 and at
/// least 64, and `marketprism_crc32_fold_available()` true.
uint32_t marketprism_crc32_fold(uint32_t crc, const uint8_t *bytes, size_t length);

#endif
