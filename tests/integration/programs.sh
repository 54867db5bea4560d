# Helpers for the program tests (test_cgi.sh, test_fastcgi.sh), sourced
# after lib.sh: a root for programs, the start of a configuration, a
# client certificate, and reading NAME=value lines.

chmod 755 "$TMP"	# programs run as the workers' user (nobody, as root)
R=$TMP/root

# prog path body: a shell program beneath $R (mode 755).
prog() {
	printf '#!/bin/sh\n%s\n' "$2" >"$R/$1"
	chmod 755 "$R/$1"
}

# program_conf file: [server] and [host localhost] on fresh loopback ports
# (G Gemini, P Gopher; also GPORT and PPORT for lib.sh), one worker, root
# $R; the caller appends its [path] sections.
program_conf() {
	G=$(free_port) P=$(free_port)
	GPORT=$G PPORT=$P
	cat >"$1" <<EOC
[server]
gemini = 127.0.0.1:$G
cert_dir = $CERTDIR
workers = 1
[host localhost]
root = $R
gopher = 127.0.0.1:$P
EOC
}

# A client certificate, as a Gemini client makes one: $TMP/alice.crt and
# .key, CN alice; ALICE_HASH is the hex SHA-256 of its DER form.
client_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=alice -days 30 -keyout "$TMP/alice.key" \
	    -out "$TMP/alice.crt" 2>/dev/null || return 1
	ALICE_HASH=$(openssl x509 -in "$TMP/alice.crt" -outform DER |
	    sha256sum | cut -c1-64)
}

# val NAME text: the value of a NAME=value line (CR dropped).
val() { printf '%s\n' "$2" | sed -n "s/^$1=//p" | tr -d '\r'; }
