# idcard(n): a valid 18-character resident ID number (GB 11643 check
# character) for test buyer n.  Loaded with -f before the script that uses
# it: awk -f idcard.awk -f buyers.awk.
function idcard(n,    body, s, i, w, c) {
	# string concatenation: mawk's %d stops at 2^31
	body = "11010519800" sprintf("%06d", n)
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	s = 0
	for (i = 1; i <= 17; i++)
		s += substr(body, i, 1) * w[i]
	c = substr("10X98765432", s % 11 + 1, 1)
	return body c
}
