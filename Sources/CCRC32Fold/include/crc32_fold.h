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

/// The raw CRC-32 register (zlib polynomial, reflected, not inverted) of `length` bytes read from
/// zero: a piece for `marketprism_crc32_alternating_pieces`.
uint32_t marketprism_crc32_raw(const uint8_t *bytes, size_t length);

/// The CRC-32 (as zlib's `crc32(0, text)`) of a text kept as pieces, each `register | length << 32`
/// with `register` from `marketprism_crc32_raw` of the piece's bytes. The text is `first[0]
/// second[0] first[1] second[1] ...` (the longer list's rest at the end) less its first byte,
/// which must be `dropped`: pieces that each start with a separator, joined without the first one.
///
/// Why: the CRC is linear, so each piece contributes its own register times x^(8 * bytes after
/// it); a checksum over 50 pieces kept from the last message costs one carry-less multiply a
/// piece (PCLMULQDQ where the CPU has it) instead of copying the text and reading all of it.
uint32_t marketprism_crc32_alternating_pieces(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, uint8_t dropped);

/// The same without carry-less multiplication (the pieces joined one by one, shifts multiplied bit
/// by bit): the path for CPUs without it and texts over 4 KB, and the reference for tests.
uint32_t marketprism_crc32_alternating_pieces_portable(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, uint8_t dropped);

#endif
