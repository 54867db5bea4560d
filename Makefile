# tulpar: one gemtext tree over Gemini and Gopher.
# `make run` serves ./capsule; `make check` runs every test.

CC	?= cc
PKGS	 = libevent_openssl libevent libssl libcrypto inih libidn2
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wsign-compare
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(WARN)
ifdef WERROR
CFLAGS	+= -Werror
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -lm

# Debian packages: the server's build (all of `make run` needs) and the
# tests' (`make check`); DEPS is both, for tests/deps.sh.
BUILD_DEPS = gcc make pkg-config libevent-dev libssl-dev libinih-dev openssl \
	   libidn2-dev libunistring-dev
TEST_DEPS = libcmocka-dev curl lynx python3 procps valgrind clang \
	   libclang-rt-14-dev iproute2 haproxy faketime \
	   tmux amfora bombadillo sacc kristall xvfb xdotool imagemagick \
	   spawn-fcgi fcgiwrap molly-brown
DEPS	 = $(BUILD_DEPS) $(TEST_DEPS)

SRCS	 = $(wildcard src/*.c)
OBJS	 = $(SRCS:.c=.o)
LIBOBJS	 = $(filter-out src/main.o,$(OBJS))
UNITS	 = $(patsubst %.c,%,$(wildcard tests/unit/test_*.c))

# `make install`: PREFIX for the layout, DESTDIR for staging (packages).
PREFIX	?= /usr/local
DESTDIR	?=

# `make run`: the demo, on loopback only (IPv4; see README, "RUN_FLAGS").
RUN_FLAGS ?= -d capsule -T certs -H localhost -G 127.0.0.1:1965 \
	   -P 127.0.0.1:7070 -L en

# The ASan/UBSan build of the server and the unit tests, in tests/sanitize/.
SAN	 = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined
SANUNITS = $(patsubst tests/unit/%,tests/sanitize/%,$(UNITS))
LIBSRCS	 = $(filter-out src/main.c,$(SRCS))

.PHONY: all deps build-deps run check sanitize clean install

all: build-deps tulpar

build-deps:
	@sh tests/deps.sh $(BUILD_DEPS)

deps:
	@sh tests/deps.sh $(DEPS)

tulpar: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

src/%.o: src/%.c src/*.h
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c $(LIBOBJS) tests/unit/*.h
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isrc -o $@ $< $(LIBOBJS) $(PKG_LIBS) -lcmocka

run: all
	./tulpar $(RUN_FLAGS)

tests/sanitize/tulpar: $(SRCS) src/*.h
	@mkdir -p tests/sanitize
	$(CC) $(SAN) -std=c11 -D_GNU_SOURCE $(WARN) -Werror $(PKG_CFLAGS) -o $@ $(SRCS) $(PKG_LIBS)

tests/sanitize/test_%: tests/unit/test_%.c $(LIBSRCS) src/*.h tests/unit/*.h
	@mkdir -p tests/sanitize
	$(CC) $(SAN) -std=c11 -D_GNU_SOURCE $(WARN) -Werror $(PKG_CFLAGS) -Isrc -o $@ $< $(LIBSRCS) $(PKG_LIBS) -lcmocka

sanitize: deps tests/sanitize/tulpar $(SANUNITS)

check: deps
	@$(MAKE) --no-print-directory WERROR=1 tulpar $(UNITS) sanitize
	@sh tests/run.sh

install: tulpar
	install -D -m 755 tulpar $(DESTDIR)$(PREFIX)/sbin/tulpar
	install -D -m 644 docs/tulpar.8 $(DESTDIR)$(PREFIX)/share/man/man8/tulpar.8
	install -D -m 644 docs/tulpar.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/tulpar.conf.5
	install -D -m 644 docs/examples/tulpar.conf \
	    $(DESTDIR)$(PREFIX)/share/doc/tulpar/examples/tulpar.conf
	install -d $(DESTDIR)$(PREFIX)/share/doc/tulpar/examples
	sed 's|/usr/local/sbin/tulpar|$(PREFIX)/sbin/tulpar|g' \
	    docs/examples/tulpar.service \
	    >$(DESTDIR)$(PREFIX)/share/doc/tulpar/examples/tulpar.service
	chmod 644 $(DESTDIR)$(PREFIX)/share/doc/tulpar/examples/tulpar.service

include tests/fuzz/fuzz.mk
include tests/bench/bench.mk

clean: fuzz-clean bench-clean
	rm -f tulpar src/*.o $(UNITS)
	rm -rf tests/sanitize
