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
	char	*alabel = NULL;
	size_t	 i, n;
	int	 rc;

	*errstr = "too long";
	if (strlen(in) > 4 * HOSTNAME_LEN)
		return -1;
	if (hostname_ascii(in)) {
		if (strlcpy(out, in, outsz) >= outsz)
			return -1;
	} else {
		rc = idn2_to_ascii_8z(in, &alabel, IDN2_NONTRANSITIONAL |
		    IDN2_NFC_INPUT);
		if (rc != IDN2_OK) {
			*errstr = idn2_strerror(rc);
			return -1;
		}
		n = strlcpy(out, alabel, outsz);
		idn2_free(alabel);
		if (n >= outsz)
			return -1;
	}
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] += 'a' - 'A';
	if ((n = i) > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	if (!hostname_chars_ok(out)) {
		*errstr = "want letters, digits, '.' and '-', not led by '.' or "
		    "'-', no empty label; or an internationalised name";
		return -1;
	}
	return 0;
}
