# tulpar's benchmarks (issue 4). Included from the top-level Makefile, or
# run on its own from the project root: make -f tests/bench/bench.mk bench
#
#   make bench-build   build tests/bench/{loadgen,refserver,reftcp,tlsfloor}
#   make bench         the full run; prints the table (a few minutes)
#   make bench-smoke   every scenario for a moment; "N passed, M failed"
#
# `make bench` also runs tests/bench/trees.py (issue 11) on generated trees
# beside Molly Brown (BENCH_DEPS); BENCH_TREES=100,10k picks the trees
# (100, 10k, 100k, 1500x600k; default all, "none" skips them).
#
# BENCH_ROUNDS (5) and BENCH_SECONDS (3) set the rounds and their length;
# tests/bench/bench.py lists the other BENCH_* variables.

BENCH_DIR	:= $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
BENCH_CC	?= $(CC)
BENCH_PKGS	 = libevent_openssl libevent libssl libcrypto
BENCH_WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wsign-compare
BENCH_CFLAGS	?= -O2 -g
BENCH_ALLFLAGS	 = $(BENCH_CFLAGS) -std=c11 -D_GNU_SOURCE $(BENCH_WARN) \
		   $(if $(WERROR),-Werror) \
		   $(shell pkg-config --cflags $(BENCH_PKGS) 2>/dev/null)
BENCH_LIBS	 = $(shell pkg-config --libs $(BENCH_PKGS) 2>/dev/null)
BENCH_BINS	 = $(BENCH_DIR)/loadgen $(BENCH_DIR)/refserver $(BENCH_DIR)/reftcp \
		   $(BENCH_DIR)/tlsfloor $(BENCH_DIR)/fcgiresp
BENCH_PY	 = python3 $(BENCH_DIR)/bench.py
BENCH_ENV	 = $(if $(BENCH_ROUNDS),BENCH_ROUNDS=$(BENCH_ROUNDS)) \
		   $(if $(BENCH_SECONDS),BENCH_SECONDS=$(BENCH_SECONDS)) \
		   $(if $(BENCH_TREES),BENCH_TREES=$(BENCH_TREES))
# Debian packages only the benchmarks need (not `make run` or `make check`).
BENCH_DEPS	 = molly-brown

.PHONY: bench-build bench bench-deps bench-smoke bench-clean

bench-build: $(BENCH_BINS)

$(BENCH_DIR)/loadgen: $(BENCH_DIR)/loadgen.c
	$(BENCH_CC) $(BENCH_ALLFLAGS) -o $@ $< $(BENCH_LIBS)

$(BENCH_DIR)/refserver: $(BENCH_DIR)/refserver.c $(BENCH_DIR)/refbody.c \
    $(BENCH_DIR)/refbody.h
	$(BENCH_CC) $(BENCH_ALLFLAGS) -o $@ $(BENCH_DIR)/refserver.c \
	    $(BENCH_DIR)/refbody.c $(BENCH_LIBS)

$(BENCH_DIR)/reftcp: $(BENCH_DIR)/reftcp.c $(BENCH_DIR)/refbody.c \
    $(BENCH_DIR)/refbody.h
	$(BENCH_CC) $(BENCH_ALLFLAGS) -o $@ $(BENCH_DIR)/reftcp.c \
	    $(BENCH_DIR)/refbody.c $(BENCH_LIBS)

$(BENCH_DIR)/tlsfloor: $(BENCH_DIR)/tlsfloor.c $(BENCH_DIR)/refbody.c \
    $(BENCH_DIR)/refbody.h
	$(BENCH_CC) $(BENCH_ALLFLAGS) -o $@ $(BENCH_DIR)/tlsfloor.c \
	    $(BENCH_DIR)/refbody.c $(BENCH_LIBS)

$(BENCH_DIR)/fcgiresp: $(BENCH_DIR)/fcgiresp.c
	$(BENCH_CC) $(BENCH_ALLFLAGS) -o $@ $<

bench-deps:
	@sh tests/deps.sh $(BENCH_DEPS)

bench: bench-deps bench-build tulpar
	$(BENCH_ENV) TULPAR=./tulpar $(BENCH_PY)

bench-smoke: bench-build tulpar
	@TULPAR=./tulpar $(BENCH_PY) --smoke

bench-clean:
	rm -f $(BENCH_BINS)

# On its own (make -f tests/bench/bench.mk) there is no rule for tulpar:
# the ./tulpar already built is used as it is.
ifeq ($(notdir $(firstword $(MAKEFILE_LIST))),bench.mk)
tulpar:
	@echo "bench: no ./tulpar; build it first: make tulpar" >&2; exit 1
endif
