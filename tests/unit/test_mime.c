/* Unit tests for src/mime.c: MIME types and Gopher item types by extension. */
#include "unit.h"

#include "mime.h"

static void
type_at(const char *name, const char *want, const char *file, int line)
{
	const char	*got = mime_type(name);

	if (got == NULL || strcmp(got, want) != 0) {
		print_error("%s:%d: mime_type(\"%s\") = \"%s\", want \"%s\"\n",
		    file, line, name, got ? got : "(null)", want);
		_fail(file, line);
	}
}

#define TYPE(name, want)	type_at((name), (want), __FILE__, __LINE__)

static void
gtype_at(const char *name, char want, const char *file, int line)
{
	char	 got = mime_gopher_type(name);

	if (got != want) {
		print_error("%s:%d: mime_gopher_type(\"%s\") = '%c' (0x%02x), "
		    "want '%c'\n", file, line, name, got > 0x20 ? got : '?',
		    (unsigned char)got, want);
		_fail(file, line);
	}
}

#define GTYPE(name, want)	gtype_at((name), (want), __FILE__, __LINE__)

static void
test_type_gemtext(void **state)
{
	(void)state;
	TYPE("x.gmi", "text/gemini");
	TYPE("x.gemini", "text/gemini");
	TYPE("/docs/index.gmi", "text/gemini");
}

static void
test_type_text(void **state)
{
	(void)state;
	TYPE("x.txt", "text/plain");
	TYPE("x.md", "text/markdown");
	TYPE("x.html", "text/html");
	TYPE("/notes.txt", "text/plain");
}

static void
test_type_images(void **state)
{
	(void)state;
	TYPE("x.png", "image/png");
	TYPE("x.jpg", "image/jpeg");
	TYPE("x.jpeg", "image/jpeg");
	TYPE("x.gif", "image/gif");
	TYPE("x.svg", "image/svg+xml");
}

static void
test_type_other(void **state)
{
	(void)state;
	TYPE("x.pdf", "application/pdf");
	TYPE("x.mp3", "audio/mpeg");
	TYPE("x.bin", "application/octet-stream");
	TYPE("noext", "application/octet-stream");
	TYPE("x.unknownext", "application/octet-stream");
	TYPE("/a/b", "application/octet-stream");
	TYPE("/a.png/b", "application/octet-stream");
	TYPE("/a/.png", "application/octet-stream");
	TYPE("x.", "application/octet-stream");
}

static void
test_type_last_extension(void **state)
{
	(void)state;
	TYPE("x.txt.gmi", "text/gemini");
	TYPE("x.gmi.txt", "text/plain");
	TYPE("/dir.gmi/x.png", "image/png");
}

static void
test_type_case_insensitive(void **state)
{
	(void)state;
	TYPE("x.PNG", "image/png");
	TYPE("X.Png", "image/png");
	TYPE("x.GMI", "text/gemini");
	TYPE("x.JpEg", "image/jpeg");
	TYPE("x.TXT", "text/plain");
	TYPE("x.PDF", "application/pdf");
}

static void
test_type_not_prefix_match(void **state)
{
	(void)state;
	/* Whole extensions only: no prefix or suffix matching. */
	TYPE("x.gmix", "application/octet-stream");
	TYPE("x.gm", "application/octet-stream");
	TYPE("x.pngs", "application/octet-stream");
	TYPE("x.xpng", "application/octet-stream");
	TYPE("xpng", "application/octet-stream");
	TYPE("xgmi", "application/octet-stream");
}

static void
test_is_gemtext(void **state)
{
	(void)state;
	assert_int_equal(mime_is_gemtext("a.gmi"), 1);
	assert_int_equal(mime_is_gemtext("a.gemini"), 1);
	assert_int_equal(mime_is_gemtext("/docs/index.gmi"), 1);
	assert_int_equal(mime_is_gemtext("a.txt.gmi"), 1);
	assert_int_equal(mime_is_gemtext("A.GMI"), 1);
	assert_int_equal(mime_is_gemtext("a.txt"), 0);
	assert_int_equal(mime_is_gemtext("a.gmi.txt"), 0);
	assert_int_equal(mime_is_gemtext("gmi"), 0);
	assert_int_equal(mime_is_gemtext("a.gmix"), 0);
	assert_int_equal(mime_is_gemtext("a.md"), 0);
	assert_int_equal(mime_is_gemtext("noext"), 0);
	assert_int_equal(mime_is_gemtext("/a.gmi/b"), 0);
}

static void
test_gopher_type(void **state)
{
	(void)state;
	GTYPE("x.gmi", '1');
	GTYPE("x.gemini", '1');
	GTYPE("x.txt", '0');
	GTYPE("x.md", '0');
	GTYPE("x.html", 'h');
	GTYPE("x.gif", 'g');
	GTYPE("x.png", 'I');
	GTYPE("x.jpg", 'I');
	GTYPE("x.jpeg", 'I');
	GTYPE("x.pdf", '9');
	GTYPE("x.bin", '9');
	GTYPE("noext", '9');
	GTYPE("x.unknownext", '9');
}

static void
test_gopher_type_case_insensitive(void **state)
{
	(void)state;
	GTYPE("x.GMI", '1');
	GTYPE("x.TXT", '0');
	GTYPE("x.GIF", 'g');
	GTYPE("x.PNG", 'I');
	GTYPE("x.Html", 'h');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_gemtext),
		cmocka_unit_test(test_type_text),
		cmocka_unit_test(test_type_images),
		cmocka_unit_test(test_type_other),
		cmocka_unit_test(test_type_last_extension),
		cmocka_unit_test(test_type_case_insensitive),
		cmocka_unit_test(test_type_not_prefix_match),
		cmocka_unit_test(test_is_gemtext),
		cmocka_unit_test(test_gopher_type),
		cmocka_unit_test(test_gopher_type_case_insensitive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
