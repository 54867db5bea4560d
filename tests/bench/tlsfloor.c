/*
 * tlsfloor: the least CPU a Gemini request can cost through OpenSSL on this
 * machine, for the benchmark's information rows. One connection at a time
 * with blocking sockets (no event loop, no epoll), no log, no client
 * certificate request, the TLS 1.3 suite with the cheapest hash
 * (TLS_AES_128_GCM_SHA256, the server's choice); it reads a line and
 * answers a fixed "20 text/gemini" response of SIZE bytes, then
 * close_notify, the answer and close_notify in one write(2). With TICKETS 0 it sends no session ticket; with 1 it sends
 * one after a full handshake and none after a resumption, as tulpar does.
 * It is not a server to use: one slow client stalls it (5 s at most).
 *
 * usage: tlsfloor port cert key tickets [size]
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "refbody.h"

#define LINE_MAX_BYTES	1026	/* a Gemini request and its CRLF */

static unsigned char	 ticket_aes[32], ticket_mac[32];
static EVP_CIPHER	*ticket_cipher;

/*
 * One ticket key for the whole run. Returning 1 (not 2) for a ticket it
 * opens tells OpenSSL not to renew it: a resumption sends no new ticket.
 */
static int
floor_ticket(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM	params[3];

	(void)ssl;
	if (enc) {
		memset(name, 'f', 16);
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(ticket_cipher)) != 1 ||
		    EVP_EncryptInit_ex2(cctx, ticket_cipher, ticket_aes, iv,
		    NULL) != 1)
			return -1;
	} else {
		if (name[0] != 'f')
			return 0;	/* not ours: full handshake */
		if (EVP_DecryptInit_ex2(cctx, ticket_cipher, ticket_aes, iv,
		    NULL) != 1)
			return -1;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    ticket_mac, sizeof ticket_mac);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 1 : -1;
}

/*
 * One connection: handshake, a line, the answer, close_notify. Writes go
 * through a buffer that OpenSSL flushes at the end of each handshake flight
 * and after the alert, so the answer and close_notify leave together.
 */
static void
floor_serve(SSL_CTX *ctx, int fd, const struct refbody *body)
{
	char	 line[LINE_MAX_BYTES];
	int	 got = 0, n;
	SSL	*ssl;
	BIO	*rbio = NULL, *wbio = NULL;

	if ((ssl = SSL_new(ctx)) == NULL ||
	    (rbio = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL ||
	    (wbio = BIO_new(BIO_f_buffer())) == NULL ||
	    BIO_set_write_buffer_size(wbio, 32 * 1024) != 1 ||
	    BIO_push(wbio, BIO_new_socket(fd, BIO_NOCLOSE)) == NULL ||
	    BIO_next(wbio) == NULL) {
		BIO_free(rbio);
		BIO_free_all(wbio);
		goto done;
	}
	SSL_set_bio(ssl, rbio, wbio);
	if (SSL_accept(ssl) != 1)
		goto done;
	while (got < (int)sizeof line && memchr(line, '\n', got) == NULL) {
		if ((n = SSL_read(ssl, line + got, sizeof line - got)) <= 0)
			goto done;
		got += n;
	}
	if (memchr(line, '\n', got) != NULL &&
	    SSL_write(ssl, body->data, body->len) == (int)body->len) {
		SSL_shutdown(ssl);
		(void)BIO_flush(wbio);
	}
done:
	SSL_free(ssl);
	ERR_clear_error();
}

int
main(int argc, char **argv)
{
	struct refbody		 body;
	struct sockaddr_in	 sin;
	struct timeval		 tv = { 5, 0 };
	SSL_CTX			*ctx;
	int			 ls, fd, one = 1;

	if ((argc != 5 && argc != 6) ||
	    (strcmp(argv[4], "0") != 0 && strcmp(argv[4], "1") != 0)) {
		fputs("usage: tlsfloor port cert key 0|1 [size]\n", stderr);
		return 2;
	}
	refbody_setup(&body, "20 text/gemini\r\n", argc == 6 ? argv[5] : NULL);
	refbody_addr(&sin, argv[1]);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1 ||
	    RAND_bytes(ticket_aes, sizeof ticket_aes) != 1 ||
	    RAND_bytes(ticket_mac, sizeof ticket_mac) != 1 ||
	    (ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC",
	    NULL)) == NULL) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_read_ahead(ctx, 1);	/* whole records per read(2) */
	SSL_CTX_set_num_tickets(ctx, argv[4][0] == '1');
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, floor_ticket);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(ls, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(ls, 511) == -1 ||
	    /* accepted sockets inherit these: a stalled client holds 5 s */
	    setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
	    setsockopt(ls, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1) {
		perror("tlsfloor: listen");
		return 1;
	}
	for (;;) {
		if ((fd = accept(ls, NULL, NULL)) == -1)
			continue;
		floor_serve(ctx, fd, &body);
		close(fd);
	}
}
