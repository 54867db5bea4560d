/*
 * Host names: EXAMPLE.ORG, example.org and example.org. are one host, and
 * қазақ.kz is xn--80aau21bd.kz, so every spelling names one certificate
 * and one pair of files. Internationalised names go through libidn2
 * (IDNA2008 with the UTS #46 mapping, which also folds their case); ASCII
 * names are only lower-cased, so names IDNA would refuse but DNS takes
 * (a_b, ab--c) keep working as they always did, within our character set.
 */
#include <string.h>

#include <idn2.h>

#include "compat.h"
#include "hostname.h"

/* letters, digits, '.', '-'; not led by '.' or '-'; no empty label */
static int
hostname_chars_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > HOSTNAME_LEN || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-'))
			return 0;
		if (c == '.' && (s[i + 1] == '.' || s[i + 1] == '\0'))
			return 0;
	}
	return 1;
}

static int
hostname_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int
hostname_normalize(const char *in, char *out, size_t outsz,
    const char **errstr)
{
	char	 buf[4 * HOSTNAME_LEN + 2], *alabel = NULL;
	size_t	 i, n;
	int	 rc;

	*errstr = "too long";
	if (strlen(in) >= sizeof buf)
		return -1;
	if (hostname_ascii(in))
		(void)strlcpy(buf, in, sizeof buf);
	else {
		rc = idn2_to_ascii_8z(in, &alabel, IDN2_NONTRANSITIONAL |
		    IDN2_NFC_INPUT);
		if (rc != IDN2_OK) {
			*errstr = idn2_strerror(rc);
			return -1;
		}
		n = strlcpy(buf, alabel, sizeof buf);
		idn2_free(alabel);
		if (n >= sizeof buf)
			return -1;
	}
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] += 'a' - 'A';
	if (i > 1 && buf[i - 1] == '.')
		buf[i - 1] = '\0';
	if (!hostname_chars_ok(buf)) {
		*errstr = "want letters, digits, '.' and '-', not led by '.' or "
		    "'-', no empty label, at most 253 bytes; or an "
		    "internationalised name";
		return -1;
	}
	if (strlcpy(out, buf, outsz) >= outsz)
		return -1;
	return 0;
}
