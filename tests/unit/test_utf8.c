/* sluice tests — the UTF-8 check's fast path (engine/core/decode.h) gives
 * exactly utf8proc's answer.
 *
 * sl__utf8_check decides ASCII and the common three-byte sequences with a
 * byte pattern, sixteen bytes at a time, and hands everything else to
 * utf8proc_iterate; sl__utf8_check_ref runs utf8proc_iterate over every
 * character.  Both return the offset of the first bad byte (invalid UTF-8
 * or NUL), or the length.  A declaration is rejected exactly when one of
 * its strings has a bad byte, and the message names the offset, so any
 * difference between the two would change what a declarant sees. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "decode.h"

/* s (n bytes) copied to an exact-size heap buffer, so that ASan reports
 * a read past n, and checked both ways. */
static void same(const uint8_t *s, size_t n)
{
	char *b = malloc(n ? n : 1);
	size_t fast, ref;

	memcpy(b, s, n);
	fast = sl__utf8_check(b, n);
	ref = sl__utf8_check_ref(b, n);
	if (fast != ref) {
		char hex[3 * 96 + 1] = "";

		for (size_t i = 0; i < n && i < 96; i++)
			sprintf(hex + 3 * i, "%02x ", s[i]);
		cr_assert_fail("fast %zu, utf8proc %zu on %zu bytes: %s", fast,
			       ref, n, hex);
	}
	free(b);
}

/* Quick comparison without the heap copy, for the exhaustive loops. */
static bool same_quick(const uint8_t *s, size_t n)
{
	return sl__utf8_check((const char *)s, n) ==
	       sl__utf8_check_ref((const char *)s, n);
}

Test(utf8, every_one_and_two_byte_sequence_at_every_alignment)
{
	uint8_t buf[40];

	for (unsigned at = 0; at < 18; at++) {
		memset(buf, 'a', sizeof(buf));
		for (unsigned a = 0; a < 256; a++) {
			buf[at] = (uint8_t)a;
			cr_assert(same_quick(buf, at + 1), "%02x at %u", a, at);
			cr_assert(same_quick(buf, at + 3), "%02x at %u", a, at);
			for (unsigned b = 0; b < 256; b++) {
				buf[at + 1] = (uint8_t)b;
				cr_assert(same_quick(buf, at + 2),
					  "%02x %02x at %u", a, b, at);
				cr_assert(same_quick(buf, sizeof(buf)),
					  "%02x %02x at %u", a, b, at);
			}
			buf[at + 1] = 'a';
		}
	}
}

/* Every three-byte sequence, alone and where it straddles the end of a
 * sixteen-byte window (lead at offset 14: its last byte is in the next
 * window). */
Test(utf8, every_three_byte_sequence)
{
	uint8_t alone[3], mid[20];

	memset(mid, 'x', sizeof(mid));
	for (unsigned v = 0; v < (1u << 24); v++) {
		alone[0] = mid[14] = (uint8_t)(v >> 16);
		alone[1] = mid[15] = (uint8_t)(v >> 8);
		alone[2] = mid[16] = (uint8_t)v;
		if (!same_quick(alone, 3) || !same_quick(mid, sizeof(mid)) ||
		    !same_quick(mid, 16) || !same_quick(mid, 17))
			cr_assert_fail("%06x differs", v);
	}
}

/* Leads E0..EF, where the fast path works, at every alignment within a
 * window, followed by a second character so that runs are cut in every
 * place. */
Test(utf8, three_byte_leads_at_every_alignment)
{
	uint8_t buf[24];

	for (unsigned at = 0; at < 16; at++) {
		memset(buf, 'y', sizeof(buf));
		for (unsigned v = 0xe00000; v < 0xf00000; v += 1) {
			buf[at] = (uint8_t)(v >> 16);
			buf[at + 1] = (uint8_t)(v >> 8);
			buf[at + 2] = (uint8_t)v;
			buf[at + 3] = 0xe4; /* a CJK lead right after */
			buf[at + 4] = 0xb8;
			buf[at + 5] = 0xad;
			if (!same_quick(buf, sizeof(buf)) ||
			    !same_quick(buf, at + 3) ||
			    !same_quick(buf, at + 5))
				cr_assert_fail("%06x at %u differs", v, at);
		}
	}
}

/* Random strings from fragments a declaration may hold, valid and not. */
Test(utf8, random_strings)
{
	static const char *const frag[] = {
	    "a",
	    "Z09-",
	    " ",
	    "\x7f",
	    "\0",
	    "\xe4\xb8\xad",
	    "\xe9\xbe\x99",
	    "\xe3\x80\x81",
	    "\xef\xbc\x8c",
	    "\xef\xbf\xbf",
	    "\xe1\x80\x80",
	    "\xec\xbf\xbf",
	    "\xee\x80\x80",
	    "\xe0\xa0\x80",
	    "\xe0\x9f\xbf",
	    "\xed\x9f\xbf",
	    "\xed\xa0\x80",
	    "\xc3\xa9",
	    "\xc0\xaf",
	    "\xc2",
	    "\xf0\x9f\x98\x80",
	    "\xf4\x90\x80\x80",
	    "\xf8\x88\x80\x80\x80",
	    "\x80",
	    "\xbf",
	    "\xe4",
	    "\xe4\xb8",
	    "\xff",
	    "\xfe",
	};
	const size_t nfrag = sizeof(frag) / sizeof(frag[0]);
	uint64_t x = 88172645463325252ull;
	uint8_t buf[200];

	for (unsigned it = 0; it < 300000; it++) {
		size_t n = 0, want;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		want = x % 120;
		/* mostly valid text, sometimes one bad fragment */
		while (n < want) {
			size_t f, len;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			f = (x >> 8) % 100 < 90 ? (x >> 16) % 14
						: (x >> 16) % nfrag;
			len = f == 4 ? 1 : strlen(frag[f]);
			if (n + len > sizeof(buf))
				break;
			memcpy(buf + n, frag[f], len);
			n += len;
		}
		same(buf, n);
		/* and every prefix cut, for the tail handling */
		if (it % 64 == 0)
			for (size_t cut = 0; cut < n; cut++)
				same(buf, cut);
	}
}

Test(utf8, answers_that_messages_rely_on)
{
	cr_assert_eq(sl__utf8_check("", 0), 0);
	cr_assert_eq(sl__utf8_check("abc", 3), 3);
	cr_assert_eq(sl__utf8_check("ab\0c", 4), 2);
	cr_assert_eq(sl__utf8_check("保湿面霜", 12), 12);
	cr_assert_eq(sl__utf8_check("保湿面霜\xe5", 13), 12);
	cr_assert_eq(sl__utf8_check("0123456789abcde\xff", 16), 15);
	cr_assert_eq(sl__utf8_check("\xed\xa0\x80", 3), 0);  /* surrogate */
	cr_assert_eq(sl__utf8_check("a\xe0\x80\xaf", 4), 1); /* overlong */
}
