// The CRC-32 of a text from its pieces' registers (see crc32_fold.h): each piece's raw register
// times x^(8 * the bytes after it), summed; by carry-less multiplication where the CPU has it.
#include "crc32_fold.h"

#include <pthread.h>
#include <string.h>

/// Texts up to this many bytes take one table step per piece (an OKX checksum is at most ~2.3 KB).
#define SHIFT_COUNT 4096

/// slicing[k][b]: the raw register of byte b followed by k zero bytes, read from zero.
static uint32_t slicing[8][256];
/// shifts[n] = x^(8n-1) mod P, bit-reflected (bit i is the coefficient of x^(31-i)); 0 at 0. A
/// register times it, carry-less, is the register followed by n zero bytes in the 64-bit layout
/// `reduce` takes (bit k the coefficient of x^(63-k); hence one bit short, 8n-1).
static uint32_t shifts[SHIFT_COUNT];
static int carryless;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void initialize(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        slicing[0][b] = c;
    }
    for (int k = 1; k < 8; k++) {
        for (int b = 0; b < 256; b++) {
            uint32_t previous = slicing[k - 1][b];
            slicing[k][b] = (previous >> 8) ^ slicing[0][previous & 0xFF];
        }
    }
    uint32_t power = 0x80000000u;  // x^0
    long exponent = 0;
    shifts[0] = 0;
    for (long n = 1; n < SHIFT_COUNT; n++) {
        while (exponent < 8 * n - 1) {
            power = (power & 1) ? (power >> 1) ^ 0xEDB88320u : power >> 1;
            exponent++;
        }
        shifts[n] = power;
    }
    carryless = marketprism_crc32_fold_available();
}

static int initialized;

static void initialize_once(void) {
    initialize();
    __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
}

/// The tables, built once (a load and a test once they are).
static inline void ready(void) {
    if (__builtin_expect(!__atomic_load_n(&initialized, __ATOMIC_ACQUIRE), 0)) pthread_once(&once, initialize_once);
}

/// A 64-bit value (bit k the coefficient of x^(63-k)) reduced mod P to a register: the low 32 bits
/// read four zero bytes, the high 32 are added as they are.
static inline uint32_t reduce(uint64_t value) {
    uint32_t low = (uint32_t)value;
    return slicing[3][low & 0xFF] ^ slicing[2][(low >> 8) & 0xFF] ^ slicing[1][(low >> 16) & 0xFF] ^
           slicing[0][low >> 24] ^ (uint32_t)(value >> 32);
}

uint32_t marketprism_crc32_raw(const uint8_t *p, size_t n) {
    ready();
    uint32_t c = 0;
    while (n >= 8) {
        uint32_t one, two;
        memcpy(&one, p, 4);
        memcpy(&two, p + 4, 4);
        one ^= c;
        c = slicing[7][one & 0xFF] ^ slicing[6][(one >> 8) & 0xFF] ^ slicing[5][(one >> 16) & 0xFF] ^
            slicing[4][one >> 24] ^ slicing[3][two & 0xFF] ^ slicing[2][(two >> 8) & 0xFF] ^
            slicing[1][(two >> 16) & 0xFF] ^ slicing[0][two >> 24];
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        c = slicing[0][(c ^ *p) & 0xFF] ^ (c >> 8);
        p++;
        n--;
    }
    return c;
}

static uint64_t product_portable(uint32_t a, uint32_t b) {
    uint64_t product = 0;
    for (int bit = 0; bit < 32; bit++) {
        if ((b >> bit) & 1) product ^= (uint64_t)a << bit;
    }
    return product;
}

/// `value` followed by `count` zero bytes, in steps the table holds.
static uint32_t shifted_portable(uint32_t value, size_t count) {
    while (count > 0) {
        size_t step = count < SHIFT_COUNT ? count : SHIFT_COUNT - 1;
        value = reduce(product_portable(value, shifts[step]));
        count -= step;
    }
    return value;
}

static size_t total_length(const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount) {
    size_t total = 0;
    for (size_t i = 0; i < firstCount; i++) total += (size_t)(first[i] >> 32);
    for (size_t i = 0; i < secondCount; i++) total += (size_t)(second[i] >> 32);
    return total;
}

uint32_t marketprism_crc32_alternating_pieces_portable(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, uint8_t dropped) {
    ready();
    size_t total = total_length(first, firstCount, second, secondCount);
    if (total <= 1) return 0;
    // The pieces joined one after the other (Horner).
    uint32_t text = 0;
    size_t longer = firstCount > secondCount ? firstCount : secondCount;
    for (size_t rank = 0; rank < longer; rank++) {
        if (rank < firstCount) text = shifted_portable(text, (size_t)(first[rank] >> 32)) ^ (uint32_t)first[rank];
        if (rank < secondCount) text = shifted_portable(text, (size_t)(second[rank] >> 32)) ^ (uint32_t)second[rank];
    }
    // The start state ~0 reads the text less its first byte; that byte read from zero was shifted
    // as far, so it cancels there.
    return ~(text ^ shifted_portable(0xFFFFFFFFu ^ slicing[0][dropped], total - 1));
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("pclmul,sse4.1")))
static inline __m128i times(uint32_t value, uint32_t shift) {
    return _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)value), _mm_cvtsi32_si128((int)shift), 0x00);
}

/// Every piece's register times x^(8 * the bytes after it), summed unreduced, walked from the
/// text's end so the bytes after each piece are counted on the way (no pass to sum the lengths
/// first). Table indices are masked to stay inside it; `*total` gets the text's length, and a
/// result with a length the table does not cover is not to be used.
__attribute__((target("pclmul,sse4.1")))
static __m128i sum_carryless(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, size_t *total) {
    __m128i sum = _mm_setzero_si128();
    size_t after = 0;
    size_t both = firstCount < secondCount ? firstCount : secondCount;
    const uint64_t *rest = firstCount > both ? first : second;
    size_t restCount = firstCount > both ? firstCount : secondCount;
    for (size_t rank = restCount; rank > both; rank--) {
        uint64_t piece = rest[rank - 1];
        sum = _mm_xor_si128(sum, times((uint32_t)piece, shifts[after & (SHIFT_COUNT - 1)]));
        after += (size_t)(piece >> 32);
    }
    for (size_t rank = both; rank > 0; rank--) {
        uint64_t b = second[rank - 1];
        uint64_t a = first[rank - 1];
        sum = _mm_xor_si128(sum, times((uint32_t)b, shifts[after & (SHIFT_COUNT - 1)]));
        after += (size_t)(b >> 32);
        sum = _mm_xor_si128(sum, times((uint32_t)a, shifts[after & (SHIFT_COUNT - 1)]));
        after += (size_t)(a >> 32);
    }
    *total = after;
    return sum;
}

__attribute__((target("pclmul,sse4.1")))
static uint32_t alternating_pieces_carryless(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, uint8_t dropped) {
    size_t total;
    __m128i sum = sum_carryless(first, firstCount, second, secondCount, &total);
    if (total >= SHIFT_COUNT) {
        return marketprism_crc32_alternating_pieces_portable(first, firstCount, second, secondCount, dropped);
    }
    if (total <= 1) return 0;
    // The start state ~0 reads the text less its first byte; that byte read from zero was shifted
    // as far, so it cancels there.
    sum = _mm_xor_si128(sum, times(0xFFFFFFFFu ^ slicing[0][dropped], shifts[total - 1]));
    // The last piece is followed by no byte (shifts[0] is 0 in the sum): its register adds as it is.
    uint64_t last = secondCount >= firstCount ? second[secondCount - 1] : first[firstCount - 1];
    return ~reduce((uint64_t)_mm_cvtsi128_si64(sum) ^ ((uint64_t)(uint32_t)last << 32));
}

uint32_t marketprism_crc32_alternating_pieces(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, uint8_t dropped) {
    ready();
    if (!carryless) return marketprism_crc32_alternating_pieces_portable(first, firstCount, second, secondCount, dropped);
    return alternating_pieces_carryless(first, firstCount, second, secondCount, dropped);
}

#else

uint32_t marketprism_crc32_alternating_pieces(
    const uint64_t *first, size_t firstCount, const uint64_t *second, size_t secondCount, uint8_t dropped) {
    return marketprism_crc32_alternating_pieces_portable(first, firstCount, second, secondCount, dropped);
}

#endif
