/* sluice — small SSE2 helpers shared by the data-path scanners
 * (normalize.c, decode.h).  SSE2 is part of the x86-64 baseline.
 *
 * Plane: any; no state.
 */
#ifndef SLUICE_SIMD_H
#define SLUICE_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <emmintrin.h>

/* Up to 16 bytes at p (n available), as a vector; past n, zeros.  Callers
 * treat a zero byte as "stop", so a scan never runs past n.
 *
 * A 16-byte load that stays inside p's page cannot fault, so when n < 16
 * the bytes at p are loaded whole and the ones past n masked to zero,
 * rather than copied.  Sanitizer builds copy instead, since they would
 * (rightly) flag the read past the object. */
static inline __m128i sl__load16(const uint8_t *p, size_t n)
{
	uint8_t tmp[16] = {0};

	if (n >= 16)
		return _mm_loadu_si128((const __m128i *)p);
#ifndef SLUICE_SANITIZED
	if (((uintptr_t)p & 4095) <= 4096 - 16) {
		/* hide p's object from the compiler: the over-read is
		 * deliberate, and -Warray-bounds would flag it where the
		 * object's size is known at compile time */
		__asm__("" : "+r"(p));
		const __m128i idx = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
						  10, 11, 12, 13, 14, 15);

		return _mm_and_si128(
		    _mm_loadu_si128((const __m128i *)p),
		    _mm_cmpgt_epi8(_mm_set1_epi8((char)n), idx));
	}
#endif
	memcpy(tmp, p, n);
	return _mm_loadu_si128((const __m128i *)tmp);
}

#endif /* SLUICE_SIMD_H */
