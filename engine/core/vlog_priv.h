/* sluice — internals shared by the verdict-log writer (vlog.c), the
 * verifier (vlog_verify.c) and their helpers (vlog_common.c).
 *
 * Everything here runs on the control plane.
 */
#ifndef SLUICE_VLOG_PRIV_H
#define SLUICE_VLOG_PRIV_H

#include <time.h>

#include <openssl/evp.h>

#include <sluice/vlog.h>

/* `,"h":"` + 2d hex digits + `"}`: the suffix every line ends with. */
#define SL__VLOG_H_SUFFIX(d) (2 * (d) + 8)

/* Longest checkpoint signature: an SM2 DER signature is at most 72 bytes,
 * Ed25519's is 64. */
#define SL__VLOG_SIG_MAX 80

/* Time stamps: RFC 3339, UTC, seconds ("2026-11-29T00:15:00Z"). */
#define SL__VLOG_TIME_LEN 21 /* with the NUL */

/* The EVP digest of a chain hash, fetched (caller frees with
 * EVP_MD_free), or NULL when this OpenSSL lacks it. */
EVP_MD *sl__vlog_md_fetch(enum sl_vlog_hash h);

/* Parses "sm3"/"sha256"; -1 when unknown. */
int sl__vlog_hash_from(const char *name);

/* h = H(prev || a || b) with a reused context; b may be NULL.
 * Returns 0 or -EIO when OpenSSL fails. */
int sl__vlog_hash(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *prev,
		  unsigned dlen, const char *a, size_t alen, const char *b,
		  size_t blen, uint8_t *out);

/* Decodes 2n lower-case hex digits; -1 on a bad digit. */
int sl__vlog_unhex(const char *s, size_t n, uint8_t *out);

/* Formats t as RFC 3339 UTC seconds into out[SL__VLOG_TIME_LEN]. */
void sl__vlog_time(time_t t, char *out);

/* "sm2" or "ed25519" for a key of that type, NULL for any other. */
const char *sl__vlog_sig_alg(const EVP_PKEY *k);

/* The key id of k's public half into out[17].  Returns 0 or -EIO. */
int sl__vlog_key_id(EVP_PKEY *k, char *out);

/* The exact bytes a checkpoint signature covers (docs/audit.md).
 * Returns the length, or -ENOSPC. */
int sl__vlog_cp_message(char *buf, size_t cap, const char *hash_name,
			uint64_t seq, const char *head_hex, uint64_t verdicts,
			const char *time);

/* Signs msg with k (SM2 over SM3 with the default ID, or Ed25519).
 * Returns 0 or -EIO. */
int sl__vlog_sign(EVP_PKEY *k, const char *msg, size_t n, uint8_t *sig,
		  size_t *siglen);

/* 1 when sig is k's signature of msg, 0 when not. */
int sl__vlog_sig_ok(EVP_PKEY *k, const char *msg, size_t n, const uint8_t *sig,
		    size_t siglen);

/* Reads a PEM private key; NULL with a message in err. */
EVP_PKEY *sl__vlog_load_private(const char *path, char *err, size_t errlen);

/* Adds k to kr, taking a reference (the caller keeps its own). */
int sl__vlog_keyring_add_pkey(struct sl_vlog_keyring *kr, EVP_PKEY *k,
			      char *err, size_t errlen);

#endif /* SLUICE_VLOG_PRIV_H */
