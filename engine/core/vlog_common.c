/* sluice — verdict log helpers shared by the writer and the verifier:
 * hash names, hex, time stamps, checkpoint messages, keys and signatures.
 *
 * All cryptography is OpenSSL 3 EVP (STYLE 12).  Control plane only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vlog_priv.h"

/* The digest names OpenSSL's default provider knows them by. */
static const struct {
	const char *name; /* in the log header and on the command line */
	const char *evp;  /* EVP_MD_fetch name */
} hashes[SL_VLOG_HASH__COUNT] = {
    [SL_VLOG_SM3] = {"sm3", "SM3"},
    [SL_VLOG_SHA256] = {"sha256", "SHA2-256"},
};

const char *sl_vlog_hash_name(enum sl_vlog_hash h)
{
	return (unsigned)h < SL_VLOG_HASH__COUNT ? hashes[h].name : NULL;
}

int sl__vlog_hash_from(const char *name)
{
	int i;

	for (i = 0; name && i < SL_VLOG_HASH__COUNT; i++)
		if (!strcmp(name, hashes[i].name))
			return i;
	return -1;
}

EVP_MD *sl__vlog_md_fetch(enum sl_vlog_hash h)
{
	if ((unsigned)h >= SL_VLOG_HASH__COUNT)
		return NULL;
	return EVP_MD_fetch(NULL, hashes[h].evp, NULL);
}

int sl__vlog_hash(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *prev,
		  unsigned dlen, const char *a, size_t alen, const char *b,
		  size_t blen, uint8_t *out)
{
	unsigned olen = 0;

	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, dlen) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (b && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, &olen) != 1 || olen != dlen)
		return -EIO;
	return 0;
}

void sl_vlog_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case is not canonical: refused */
}

int sl__vlog_unhex(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void sl__vlog_time(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, SL__VLOG_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *sl__vlog_sig_alg(const EVP_PKEY *k)
{
	if (EVP_PKEY_is_a(k, "SM2"))
		return "sm2";
	if (EVP_PKEY_is_a(k, "ED25519"))
		return "ed25519";
	return NULL;
}

int sl__vlog_key_id(EVP_PKEY *k, char *out)
{
	unsigned char *der = NULL;
	uint8_t md[32];
	int n = i2d_PUBKEY(k, &der);

	if (n <= 0)
		return -EIO;
	if (EVP_Q_digest(NULL, "SHA2-256", NULL, der, (size_t)n, md, NULL) !=
	    1) {
		OPENSSL_free(der);
		return -EIO;
	}
	OPENSSL_free(der);
	sl_vlog_hex(md, 8, out);
	return 0;
}

int sl__vlog_cp_message(char *buf, size_t cap, const char *hash_name,
			uint64_t seq, const char *head_hex, uint64_t verdicts,
			const char *time)
{
	int n = snprintf(buf, cap,
			 "sluice-vlog-checkpoint-v1\n"
			 "hash=%s\n"
			 "seq=%llu\n"
			 "covers=%llu\n"
			 "head=%s\n"
			 "verdicts=%llu\n"
			 "time=%s\n",
			 hash_name, (unsigned long long)seq,
			 (unsigned long long)(seq - 1), head_hex,
			 (unsigned long long)verdicts, time);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* SM2 signs the SM3 digest of Z || msg (GM/T 0009; OpenSSL uses the
 * default distinguishing ID "1234567812345678", as the openssl CLI does);
 * Ed25519 signs msg itself and takes no digest. */
static const char *sig_digest(const EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "SM2") ? "SM3" : NULL;
}

int sl__vlog_sign(EVP_PKEY *k, const char *msg, size_t n, uint8_t *sig,
		  size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit_ex(ctx, NULL, sig_digest(k), NULL, NULL, k,
				  NULL) == 1 &&
	    EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)msg, n) ==
		1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

int sl__vlog_sig_ok(EVP_PKEY *k, const char *msg, size_t n, const uint8_t *sig,
		    size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (!ctx)
		return 0;
	if (EVP_DigestVerifyInit_ex(ctx, NULL, sig_digest(k), NULL, NULL, k,
				    NULL) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg, n) ==
		1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error(); /* a bad signature is an answer, not an error */
	return ok;
}

/* A daemon cannot answer a passphrase prompt: an encrypted key fails to
 * load instead of blocking on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

EVP_PKEY *sl__vlog_load_private(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		snprintf(err, errlen, "cannot open key %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!k) {
		snprintf(err, errlen,
			 "%s is not an unencrypted PEM private key (make one "
			 "with: openssl genpkey -algorithm SM2 -out %s)",
			 path, path);
		ERR_clear_error();
		return NULL;
	}
	if (!sl__vlog_sig_alg(k)) {
		snprintf(err, errlen,
			 "key %s is %s; checkpoints are signed with SM2 or "
			 "Ed25519",
			 path, EVP_PKEY_get0_type_name(k));
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}
