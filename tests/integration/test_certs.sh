#!/usr/bin/env bash
# Certificate areas: [path] require_certificate, allow_certificates and
# allow_certificates_file (re-read on SIGHUP) answer 60, 61 and 62 over
# Gemini with client certificates made here by `openssl req` (an expired and
# a not-yet-valid one under faketime); Gopher leaves protected pages out of
# menus and generated listings and answers their selectors with an error
# item; the log names the certificate; only hosts that use certificates ask
# for one in the handshake.
. "$(dirname "$0")/lib.sh"
need_tulpar

# ---------------------------------------------------------------- certificates

mkcert alice || bail "openssl req makes a certificate"
mkcert bob
mkcert carol
mkcert old "2020-01-01 00:00:00" || bail "faketime openssl req makes an expired certificate"
mkcert future "2040-01-01 00:00:00"
A=$(cert_fp alice) B=$(cert_fp bob) C=$(cert_fp carol) O=$(cert_fp old) F=$(cert_fp future)
expect_match "expired certificate: notAfter in 2020" 'notAfter=.*2020' \
    "$(openssl x509 -in "$TMP/old.crt" -noout -enddate)"
AU=$(printf '%s' "$A" | tr a-f A-F)
as() { printf -- '-cert\n%s\n-key\n%s\n' "$TMP/$1.crt" "$TMP/$1.key"; }
mapfile -t ALICE < <(as alice)
mapfile -t BOB < <(as bob)
mapfile -t CAROL < <(as carol)
mapfile -t OLD < <(as old)
mapfile -t FUTURE < <(as future)

# ---------------------------------------------------------------- set-up

make_tree
mkdir -p "$TREE/private" "$TREE/members" "$TREE/listed" "$TREE/open/vip" "$TMP/other"
printf '# Home\n\n=> page.gmi A page\n=> private/secret.gmi Secret\n=> members/ Members\n=> open/ Open\n' \
    >"$TREE/index.gmi"
printf '# Secret\n\nfor alice\n' >"$TREE/private/secret.gmi"
printf '# Members\n' >"$TREE/members/index.gmi"
printf '# Listed\n' >"$TREE/listed/index.gmi"
printf '# open a\n' >"$TREE/open/a.gmi"
printf '# vip\n' >"$TREE/open/vip/index.gmi"
printf '# other host\n' >"$TMP/other/index.gmi"
printf '# readers\n%s   # carol\n\n' "$C" >"$TMP/readers"

G=$(free_port) P=$(free_port) P2=$(free_port)
CONF=$TMP/certs.conf
cat >"$CONF" <<CONFEOF
[server]
gemini = 127.0.0.1:$G
cert_dir = $CERTDIR
workers = 1
[host localhost]
root = $TREE
gopher = 127.0.0.1:$P
[host other.test]
root = $TMP/other
gopher = 127.0.0.1:$P2
[path localhost /private/]
allow_certificates = SHA256:$AU $O
allow_certificates = $F
[path localhost /members/]
require_certificate = yes
[path localhost /listed/]
allow_certificates_file = $TMP/readers
[path localhost /open/vip/]
require_certificate = yes
CONFEOF
start_conf "$CONF" "$G $P $P2" || bail "tulpar starts with certificate areas"
GPORT=$G PPORT=$P

# req path [s_client options]: the answer to gemini://localhost:G/path.
req() {
	local p=$1
	shift
	gem_req "gemini://localhost:$G$p" "$@"
}

# ---------------------------------------------------------------- Gemini: 60 61 62

capture r req /private/secret.gmi
expect_eq "no certificate: 60" $'60 Client certificate required\r\n' "$r"
capture r req /private/secret.gmi "${ALICE[@]}"
expect_eq "a listed certificate (SHA256:, upper case): 20 and the page" \
    $'20 text/gemini\r\n# Secret\n\nfor alice\n' "$r"
capture r req /private/secret.gmi "${BOB[@]}"
expect_eq "an unlisted certificate: 61" $'61 Certificate not authorised\r\n' "$r"
capture r req /private/secret.gmi "${OLD[@]}"
expect_eq "a listed but expired certificate: 62" $'62 Certificate not valid\r\n' "$r"
capture r req /private/secret.gmi "${FUTURE[@]}"
expect_eq "a listed, not yet valid certificate: 62" $'62 Certificate not valid\r\n' "$r"
capture r req /private/nothing-here.gmi
expect_eq "a missing page in an area: 60, not 51 (nothing leaks)" \
    $'60 Client certificate required\r\n' "$r"
capture r req /private
expect_eq "the area's directory without its slash: 60" $'60 Client certificate required\r\n' "$r"
capture r req /page.gmi/../private/secret.gmi
expect_eq "dot segments into an area: 60" $'60 Client certificate required\r\n' "$r"
capture r req /members/ "${BOB[@]}"
expect_eq "require_certificate: any valid certificate, 20" $'20 text/gemini\r\n# Members\n' "$r"
capture r req /members/
expect_eq "require_certificate without one: 60" $'60 Client certificate required\r\n' "$r"
capture r req /members/ "${OLD[@]}"
expect_eq "require_certificate, an expired one: 62" $'62 Certificate not valid\r\n' "$r"
capture r req /page.gmi "${BOB[@]}"
expect_eq "outside the areas a certificate changes nothing" $'20 text/gemini\r\n' "$(head -n1 <<<"$r")"$'\n'

# ---------------------------------------------------------------- allow_certificates_file and SIGHUP

capture r req /listed/ "${CAROL[@]}"
expect_eq "allow_certificates_file: a listed certificate, 20" $'20 text/gemini\r\n# Listed\n' "$r"
capture r req /listed/ "${BOB[@]}"
expect_eq "allow_certificates_file: an unlisted one, 61" $'61 Certificate not authorised\r\n' "$r"
printf '%s\nSHA256:%s\n' "$C" "$B" >"$TMP/readers"
kill -HUP "$SRV_PID"
expect_true "SIGHUP: reloaded" wait_for_line "$SRV_LOG" '^tulpar: reloaded: 2 hosts, generation 1$'
sleep 0.3
capture r req /listed/ "${BOB[@]}"
expect_eq "SIGHUP re-reads the file: bob now listed, 20" $'20 text/gemini\r\n# Listed\n' "$r"
printf '%s\nnot-a-fingerprint\n' "$C" >"$TMP/readers"
kill -HUP "$SRV_PID"
expect_true "a bad file on SIGHUP: refused with FILE:LINE" \
    wait_for_line "$SRV_LOG" "reload: $TMP/readers:2: .*keeping the running configuration"
capture r req /listed/ "${BOB[@]}"
expect_eq "a bad file on SIGHUP: the running lists keep serving" $'20 text/gemini\r\n# Listed\n' "$r"
printf '%s\n' "$C" >"$TMP/readers"

# ---------------------------------------------------------------- Gopher

capture r goph_sel /
expect_contains "Gopher: the root menu lists the open page" $'0A page\t/page.gmi\t' "$(sed 's/^1/0/' <<<"$r")"
expect_lacks "Gopher: the root menu leaves the protected page out" "Secret" "$r"
expect_lacks "Gopher: the root menu leaves the protected directory out" "/members/" "$r"
expect_contains "Gopher: the open directory stays" $'1Open\t/open/\t' "$r"
capture r goph_sel /open/
expect_contains "Gopher: a generated listing keeps the open page" $'\t/open/a.gmi\t' "$r"
expect_lacks "Gopher: a generated listing leaves the protected directory out" "vip" "$r"
capture r req /open/
expect_contains "Gemini: the generated listing still links it" "=> vip/ vip/" "$r"
NEED=$'3This page needs a Gemini client certificate\t\terror.host\t1\r\n.\r\n'
capture r goph_sel /private/secret.gmi
expect_eq "Gopher: a protected page's selector answers the error item" "$NEED" "$r"
capture r goph_sel /members/
expect_eq "Gopher: a protected directory's selector too" "$NEED" "$r"
capture r goph_sel /private/nope
expect_eq "Gopher: a missing page in an area too" "$NEED" "$r"
capture r goph_sel /members
expect_eq "Gopher: the area without its slash too" "$NEED" "$r"

# ---------------------------------------------------------------- the log

req /private/secret.gmi "${ALICE[@]}" >/dev/null
expect_true "the log names the certificate (first 8 hex of its fingerprint)" \
    wait_for_line "$SRV_LOG" "\"gemini://localhost:$G/private/secret.gmi\" 20 [0-9]+ [0-9.]+ms cert=${A:0:8}\$"
expect_true "the log names the unlisted certificate of a 61" \
    wait_for_line "$SRV_LOG" "\"gemini://localhost:$G/private/secret.gmi\" 61 [0-9]+ [0-9.]+ms cert=${B:0:8}\$"
expect_true "no certificate: no cert= in the line" \
    wait_for_line "$SRV_LOG" "\"gemini://localhost:$G/private/secret.gmi\" 60 [0-9]+ [0-9.]+ms\$"

# ---------------------------------------------------------------- who asks for a certificate

# certreq [s_client options]: 1 if the server's handshake held a CertificateRequest.
certreq() {
	printf 'gemini://x/\r\n' | timeout 5 openssl s_client -msg -ign_eof \
	    -connect "127.0.0.1:$G" "$@" 2>&1 | grep -c 'CertificateRequest' | sed 's/[2-9]/1/'
}
expect_eq "a host with areas asks for a certificate (TLS 1.3)" 1 "$(certreq -servername localhost)"
expect_eq "a host with areas asks for a certificate (TLS 1.2)" 1 "$(certreq -servername localhost -tls1_2)"
expect_eq "a host without areas does not (SNI switches the context)" 0 "$(certreq -servername other.test)"
expect_eq "a host without areas does not (TLS 1.2)" 0 "$(certreq -servername other.test -tls1_2)"
expect_eq "no SNI: the default host's choice" 1 "$(certreq -noservername)"
capture r gem_req "gemini://other.test:$G/" -servername other.test
expect_eq "the other host still serves" $'20 text/gemini\r\n# other host\n' "$r"

summary
