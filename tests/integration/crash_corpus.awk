# Declarations for the crash tests (tests/integration/test_crash_*.sh):
# N records, BUYERS buyers, all declared on 2026-11-29 (one day: no split
# window or buyer year expires, so state after a crash can be compared
# with an uninterrupted run's exactly), interleaved buyer by buyer.
#   - values from CNY 200 to 3,000, so buyers reach the CNY 26,000 annual
#     limit part way;
#   - one parcel in five of each buyer goes to the buyer's one shared
#     address, so consignee windows fill up and split-shipment holds
#     happen; the others each to an address of their own;
#   - one buyer in seven declares with a passport (hashed buyer key);
#   - one record in 53 has a bad USCC check character (a reject that names
#     its decl_id); one in 97 is a 1210 export (no buyer limit).
# With PART=0 or PART=1, only the buyers of that parity are written (one
# stream per DPDK worker, so that each buyer's parcels keep their order).
#   awk -v N=20000 -v BUYERS=200 [-v PART=0] -f idcard.awk -f crash_corpus.awk
BEGIN {
	if (!N) N = 20000
	if (!BUYERS) BUYERS = 200
	if (PART == "") PART = -1
	for (i = 1; i <= N; i++) {
		b = i % BUYERS
		if (PART >= 0 && b % 2 != PART)
			continue
		value = 200 + (i * 7919) % 2801
		hh = 8 + int((i - 1) * 12 / N)
		mm = i % 60
		ebc = (i % 53 == 0) ? "91350100M000100Y44" : "91350100M000100Y43"
		flow = (i % 97 == 0) ? "export" : "import"
		mode = (i % 97 == 0) ? "9710" : "9610"
		if (b % 7 == 0)
			buyer = sprintf("{\"name\":\"Buyer %d\",\"id_type\":\"passport\",\"id_number\":\"E%08d\"}", b, b)
		else
			buyer = sprintf("{\"name\":\"Buyer %d\",\"id_type\":\"id_card\",\"id_number\":\"%s\"}", b, idcard(b))
		printf("{\"decl_id\":\"CR%08d\",\"flow\":\"%s\",\"trade_mode\":\"%s\",", i, flow, mode)
		printf("\"declared_at\":\"2026-11-29T%02d:%02d:00+08:00\",", hh, mm)
		printf("\"ebc\":{\"code\":\"%s\",\"name\":\"Example Trading Co.\"},", ebc)
		printf("\"buyer\":%s,", buyer)
		printf("\"consignee\":{\"name\":\"Buyer %d\",\"phone\":\"1380000%04d\",\"address\":\"Taiyuan Road %d\"},", b, b % 10000, (i % 5 == 0) ? b : 100000 + i)
		printf("\"origin_country\":\"JP\",\"currency\":\"CNY\",\"goods_value\":%d,", value)
		printf("\"items\":[{\"seq\":1,\"hs_code\":\"6109100011\",\"name\":\"cotton T-shirt\",")
		printf("\"qty\":1,\"price\":%d,\"origin_country\":\"JP\",\"category\":\"sale\"}]}\n", value)
	}
}
