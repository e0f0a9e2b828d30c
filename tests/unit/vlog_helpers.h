/* Helpers shared by the verdict log tests: scratch directories, verdicts,
 * keys, logs, file surgery and an independent re-implementation of the
 * chain (docs/audit.md) that plays the forger. */
#ifndef SLUICE_TEST_VLOG_HELPERS_H
#define SLUICE_TEST_VLOG_HELPERS_H

#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sluice/decl.h>
#include <sluice/vlog.h>

/* Each test file uses some of these helpers. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

static char g_dir[64];

static void tmp_setup(void)
{
	strcpy(g_dir, "/tmp/sl_vlog_test_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static void tmp_teardown(void)
{
	if (g_dir[0])
		nftw(g_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A path in the scratch directory; 32 rotating buffers, enough for
 * every path one test holds at once. */
static const char *tpath(const char *name)
{
	static char buf[32][256];
	static unsigned k;
	char *p = buf[k++ % 32];

	snprintf(p, 256, "%s/%s", g_dir, name);
	return p;
}

/* Verdict number i: every kind, some rejects, reasons with fields. */
static void make_verdict(sl_verdict_t *v, unsigned i)
{
	sl_verdict_init(v);
	snprintf(v->decl_id, sizeof(v->decl_id), "TYN2026112900%06u", i);
	v->has_decl_id = true;
	v->line = i + 1;
	v->verdict = (uint8_t)(i % SL_VERDICT__COUNT);
	v->tier = (uint8_t)(i % SL_TIER__COUNT);
	v->score = (int32_t)(i % 97);
	v->sampled = i % 11 == 0;
	strcpy(v->ruleset, "a1b2c3d4e5f60718");
	strcpy(v->registry, "0f1e2d3c4b5a6978");
	if (v->verdict == SL_VERDICT_REJECT) {
		v->tier = SL_TIER_UNKNOWN;
		v->error.code = SL_E_BAD_USCC;
		strcpy(v->error.field, "ebc.code");
		strcpy(v->error.message, "check character is 4, expected 3");
		return;
	}
	sl_verdict_add_reason(v, "RISK.UNDERVALUED", "items[0].price", 40,
			      SL_VERDICT_RELEASE);
	if (v->verdict == SL_VERDICT_SEIZE)
		sl_verdict_add_reason(v, "PROHIBITED.ENDANGERED.IVORY",
				      "items[0].name", 0, SL_VERDICT_SEIZE);
	if (v->sampled)
		sl_verdict_add_reason(v, "RANDOM.GENERAL", "", 0,
				      SL_VERDICT_INSPECT);
}

/* Writes a fresh key pair (alg "SM2" or "ED25519") as PEM files. */
static void keygen(const char *alg, const char *priv, const char *pub)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	FILE *f;

	cr_assert_not_null(k, "keygen %s", alg);
	f = fopen(priv, "w");
	cr_assert_not_null(f);
	cr_assert(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	f = fopen(pub, "w");
	cr_assert_not_null(f);
	cr_assert(PEM_write_PUBKEY(f, k));
	fclose(f);
	EVP_PKEY_free(k);
}

static char g_warned[1024];

/* Collects the writer's warnings, one per line. */
static void capture_warn(void *ctx, const char *msg)
{
	size_t n = strlen(g_warned);

	snprintf(g_warned + n, sizeof(g_warned) - n, "%s\n", msg);
}

static struct sl_vlog *open_log(const char *path, enum sl_vlog_hash hash,
				const char *key, unsigned cp_records, char *err,
				size_t errlen)
{
	struct sl_vlog_config c;

	sl_vlog_config_init(&c);
	c.path = path;
	c.hash = hash;
	c.key_path = key;
	c.checkpoint_records = cp_records;
	c.checkpoint_ms = 0;
	c.sync = SL_VLOG_SYNC_NONE; /* tests need no durability */
	c.warn = capture_warn;
	return sl_vlog_open(&c, err, errlen);
}

/* Appends verdicts first..first+n-1 in batches of 7 and closes. */
static void write_log(const char *path, enum sl_vlog_hash hash, const char *key,
		      unsigned cp_records, unsigned first, unsigned n)
{
	char err[512];
	struct sl_vlog *log =
	    open_log(path, hash, key, cp_records, err, sizeof(err));
	sl_verdict_t v[7];
	unsigned i = 0, k, m;

	cr_assert_not_null(log, "open: %s", err);
	while (i < n) {
		m = n - i < 7 ? n - i : 7;
		for (k = 0; k < m; k++)
			make_verdict(&v[k], first + i + k);
		cr_assert_eq(sl_vlog_append(log, v, m), m);
		cr_assert_eq(sl_vlog_commit(log), 0);
		i += m;
	}
	cr_assert_eq(sl_vlog_close(log), 0);
}

static struct sl_vlog_report verify_path(const char *path, const char *pub)
{
	struct sl_vlog_keyring *kr = sl_vlog_keyring_new();
	struct sl_vlog_verify_opts o = {.keys = kr};
	struct sl_vlog_report r;
	char err[512];

	if (pub)
		cr_assert_eq(
		    sl_vlog_keyring_add_file(kr, pub, err, sizeof(err)), 0,
		    "%s", err);
	cr_assert_eq(sl_vlog_verify_file(path, &o, &r), 0);
	sl_vlog_keyring_free(kr);
	return r;
}

/* ------------------------------------------------------ file surgery */

struct lines {
	char **l; /* each without '\n'; owned */
	size_t n;
	char *tail; /* bytes after the last '\n' (owned, may be "") */
};

static void lines_read(const char *path, struct lines *ls)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	cr_assert_not_null(f);
	memset(ls, 0, sizeof(*ls));
	ls->tail = strdup("");
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			free(ls->tail);
			ls->tail = strdup(line);
			break;
		}
		line[n - 1] = '\0';
		ls->l = realloc(ls->l, (ls->n + 1) * sizeof(*ls->l));
		ls->l[ls->n++] = strdup(line);
	}
	free(line);
	fclose(f);
}

static void lines_write(const char *path, const struct lines *ls)
{
	FILE *f = fopen(path, "w");
	size_t i;

	cr_assert_not_null(f);
	for (i = 0; i < ls->n; i++)
		fprintf(f, "%s\n", ls->l[i]);
	fputs(ls->tail, f);
	fclose(f);
}

static void lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->l[i]);
	free(ls->l);
	free(ls->tail);
}

static void lines_delete(struct lines *ls, size_t i)
{
	free(ls->l[i]);
	memmove(&ls->l[i], &ls->l[i + 1], (ls->n - i - 1) * sizeof(*ls->l));
	ls->n--;
}

static void lines_insert(struct lines *ls, size_t at, const char *s)
{
	ls->l = realloc(ls->l, (ls->n + 1) * sizeof(*ls->l));
	memmove(&ls->l[at + 1], &ls->l[at], (ls->n - at) * sizeof(*ls->l));
	ls->l[at] = strdup(s);
	ls->n++;
}

/* Index of the first line containing needle at or after from. */
static size_t lines_find(const struct lines *ls, size_t from,
			 const char *needle)
{
	size_t i;

	for (i = from; i < ls->n; i++)
		if (strstr(ls->l[i], needle))
			return i;
	cr_assert_fail("no line with %s", needle);
	return 0;
}

/* -------------------------------------------------------- the forger */

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* H(prev || c) with the EVP one-shot API (not the writer's code). */
static void forge_hash(const char *md_name, const uint8_t *prev, size_t d,
		       const char *c, uint8_t *out)
{
	size_t n = strlen(c);
	char *buf = malloc(d + n);

	memcpy(buf, prev, d);
	memcpy(buf + d, c, n);
	cr_assert_eq(EVP_Q_digest(NULL, md_name, NULL, buf, d + n, out, NULL),
		     1);
	free(buf);
}

/* Rewrites the whole chain the way someone who can write the file but
 * holds no key would after editing it: renumbers seq, recomputes every h,
 * repairs each checkpoint's covers, head and verdict count, and (when
 * resign is a private key) re-signs checkpoints with it. */
static void forge_rechain(struct lines *ls, const char *md_name,
			  EVP_PKEY *resign)
{
	uint8_t prev[32] = {0}, h[32];
	char hx[65], *c, *p;
	size_t i, verdicts = 0;

	for (i = 0; i < ls->n; i++) {
		cJSON *o = cJSON_Parse(ls->l[i]);
		const cJSON *kind;

		cr_assert_not_null(o, "forger cannot parse line %zu", i + 1);
		cJSON_DeleteItemFromObjectCaseSensitive(o, "h");
		cJSON_DeleteItemFromObjectCaseSensitive(o, "seq");
		kind = cJSON_GetObjectItemCaseSensitive(o, "vlog");
		if (cJSON_IsString(kind) &&
		    !strcmp(kind->valuestring, "checkpoint")) {
			hex(prev, 32, hx);
			cJSON_ReplaceItemInObjectCaseSensitive(
			    o, "covers", cJSON_CreateNumber((double)i - 1));
			cJSON_ReplaceItemInObjectCaseSensitive(
			    o, "head", cJSON_CreateString(hx));
			cJSON_ReplaceItemInObjectCaseSensitive(
			    o, "verdicts",
			    cJSON_CreateNumber((double)verdicts));
			if (resign) {
				char msg[512], id[17], sighex[200];
				uint8_t sig[100], md[32];
				size_t siglen = sizeof(sig);
				unsigned char *der = NULL;
				int dn = i2d_PUBKEY(resign, &der);
				EVP_MD_CTX *m = EVP_MD_CTX_new();
				const cJSON *t =
				    cJSON_GetObjectItemCaseSensitive(o, "time");

				EVP_Q_digest(NULL, "SHA256", NULL, der,
					     (size_t)dn, md, NULL);
				OPENSSL_free(der);
				hex(md, 8, id);
				snprintf(
				    msg, sizeof(msg),
				    "sluice-vlog-checkpoint-v1\nhash=%s\n"
				    "seq=%zu\ncovers=%zu\nhead=%s\n"
				    "verdicts=%zu\ntime=%s\n",
				    !strcmp(md_name, "SM3") ? "sm3" : "sha256",
				    i, i - 1, hx, verdicts, t->valuestring);
				cr_assert_eq(EVP_DigestSignInit_ex(
						 m, NULL,
						 EVP_PKEY_is_a(resign, "SM2")
						     ? "SM3"
						     : NULL,
						 NULL, NULL, resign, NULL),
					     1);
				cr_assert_eq(EVP_DigestSign(m, sig, &siglen,
							    (void *)msg,
							    strlen(msg)),
					     1);
				EVP_MD_CTX_free(m);
				hex(sig, siglen, sighex);
				cJSON_ReplaceItemInObjectCaseSensitive(
				    o, "sig", cJSON_CreateString(sighex));
				cJSON_ReplaceItemInObjectCaseSensitive(
				    o, "key_id", cJSON_CreateString(id));
			}
		} else if (!cJSON_IsString(kind)) {
			verdicts++;
		}
		cJSON_AddNumberToObject(o, "seq", (double)i);
		c = cJSON_PrintUnformatted(o);
		forge_hash(md_name, prev, 32, c, h);
		hex(h, 32, hx);
		p = malloc(strlen(c) + 80);
		c[strlen(c) - 1] = '\0';
		sprintf(p, "%s,\"h\":\"%s\"}", c, hx);
		free(c);
		free(ls->l[i]);
		ls->l[i] = p;
		memcpy(prev, h, 32);
		cJSON_Delete(o);
	}
}

#pragma GCC diagnostic pop

#endif /* SLUICE_TEST_VLOG_HELPERS_H */
