# tulpar: one gemtext tree over Gemini and Gopher.
# `make run` serves ./capsule; `make check` runs every test.

CC	?= cc
PKGS	 = libevent_openssl libevent libssl libcrypto
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wsign-compare
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(WARN)
ifdef WERROR
CFLAGS	+= -Werror
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Debian packages the build and the tests need.
DEPS	 = gcc make pkg-config libevent-dev libssl-dev libcmocka-dev openssl \
	   curl lynx python3 procps

SRCS	 = $(wildcard src/*.c)
OBJS	 = $(SRCS:.c=.o)
LIBOBJS	 = $(filter-out src/main.o,$(OBJS))
UNITS	 = $(patsubst %.c,%,$(wildcard tests/unit/test_*.c))

RUN_FLAGS ?= -d capsule -T certs -H localhost -G 1965 -P 7070 -L en

.PHONY: all deps run check clean

all: deps tulpar

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

check: deps
	@$(MAKE) --no-print-directory WERROR=1 tulpar $(UNITS)
	@sh tests/run.sh

clean:
	rm -f tulpar src/*.o $(UNITS)
