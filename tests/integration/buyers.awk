# Writes declarations for the state tests: BUYERS buyers (valid resident
# IDs), PER parcels each of VALUE CNY, 9610 imports from one advanced
# enterprise, every parcel to its own consignee address (no split
# shipment) and on its own day of 2026 (mod 300), interleaved buyer by
# buyer.  awk only, so the test needs nothing beyond the base system.
#   awk -v BUYERS=100 -v PER=40 -v VALUE=1000 -f idcard.awk -f buyers.awk
BEGIN {
	if (!BUYERS) BUYERS = 100
	if (!PER) PER = 40
	if (!VALUE) VALUE = 1000
	for (b = 0; b < BUYERS; b++)
		id[b] = idcard(b)
	n = 0
	for (p = 0; p < PER; p++) {
		for (b = 0; b < BUYERS; b++) {
			n++
			day = (n % 300)
			mon = int(day / 28) + 1
			dom = day % 28 + 1
			printf("{\"decl_id\":\"ST%09d\",\"flow\":\"import\",", n)
			printf("\"trade_mode\":\"9610\",")
			printf("\"declared_at\":\"2026-%02d-%02dT10:%02d:00+08:00\",", mon, dom, n % 60)
			printf("\"ebc\":{\"code\":\"91350100M000100Y43\",\"name\":\"Example Trading Co.\"},")
			printf("\"buyer\":{\"name\":\"Buyer %d\",\"id_type\":\"id_card\",\"id_number\":\"%s\"},", b, id[b])
			printf("\"consignee\":{\"name\":\"Buyer %d\",\"phone\":\"1380000%04d\",\"address\":\"Taiyuan Road %d\"},", b, b % 10000, n)
			printf("\"origin_country\":\"JP\",\"currency\":\"CNY\",\"goods_value\":%d,", VALUE)
			printf("\"items\":[{\"seq\":1,\"hs_code\":\"6109100011\",\"name\":\"cotton T-shirt\",")
			printf("\"qty\":1,\"price\":%d,\"origin_country\":\"JP\",\"category\":\"sale\"}]}\n", VALUE)
		}
	}
}
