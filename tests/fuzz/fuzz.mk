# libFuzzer harnesses for the parsers that take untrusted bytes, and replay
# programs that run their seed corpora under ASan/UBSan without libFuzzer.
# The top-level Makefile includes this; it also works alone, from the top
# of the tree:  make -f tests/fuzz/fuzz.mk fuzz-replay
#
#   fuzz-build	tests/fuzz/<name>-fuzz and tests/fuzz/<name>-replay
#   fuzz	each harness for FUZZ_SECONDS, one at a time; new inputs go to
#		FUZZ_SCRATCH, crashes to FUZZ_CRASHES, never into the tree
#   fuzz-merge	folds FUZZ_SCRATCH finds that add coverage into the corpora
#   fuzz-replay	replays every corpus file; ends with "N passed, M failed"
#   fuzz-clean	removes what the above build

FUZZ_GOAL_BEFORE := $(.DEFAULT_GOAL)
FUZZ_ALONE	 := $(if $(filter 1,$(words $(MAKEFILE_LIST))),yes)

CLANG		?= clang
FUZZ_REPLAY_CC	?= $(CLANG)
FUZZ_SECONDS	?= 60
FUZZ_SCRATCH	?= /tmp/tulpar-fuzz
FUZZ_CRASHES	?= /tmp/tulpar-fuzz-crashes
FUZZ_FLAGS	?=

FUZZ_DIR	 = tests/fuzz
FUZZ_NAMES	 = url path selector gophermap listen proxy config atom hostname search titan ratelimit cgihdr fcgi
FUZZ_WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		   -Wpointer-arith -Wcast-qual -Wsign-compare
FUZZ_CFLAGS	 = -g -O1 -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -Isrc
FUZZ_SAN_fuzz	 = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SAN_replay	 = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CC_fuzz	 = $(CLANG)
FUZZ_CC_replay	 = $(FUZZ_REPLAY_CC)

# The src/*.c each harness links: the module under test and what it calls.
# log.c uses libevent, and listen.c (through conn.c) libevent and OpenSSL.
FUZZ_SRC_url	   = url compat
FUZZ_SRC_path	   = path compat
FUZZ_SRC_gophermap = gophermap gemtext buf mime path url compat
FUZZ_SRC_selector  = router rules access peer store storewatch storecheck blob \
		     search gophermap gemtext buf mime path url log compat hostname
FUZZ_SRC_listen	   = listen conn blob peer proxy log url compat tls ratelimit ticketkeys
FUZZ_SRC_proxy	   = proxy
FUZZ_SRC_cgihdr	   = cgihdr url compat
FUZZ_SRC_fcgi	   = fcgi cgi log compat
FUZZ_LIBS_fcgi	   = $(FUZZ_PKG_LIBS)
FUZZ_SRC_search	   = search gemtext buf url compat
FUZZ_SRC_atom	   = atom gemtext buf url compat
FUZZ_SRC_hostname  = hostname compat
FUZZ_SRC_titan	   = titan url compat
FUZZ_SRC_ratelimit = ratelimit ticketkeys
FUZZ_SRC_config	   = config access titan listen conn blob peer proxy log url path compat \
		     tls hostname ratelimit ticketkeys
FUZZ_PKGS	   = libevent_openssl libevent libssl libcrypto libidn2
FUZZ_LIBS_selector = $(FUZZ_PKG_LIBS) -lunistring -lm
FUZZ_LIBS_listen   = $(FUZZ_PKG_LIBS)
FUZZ_LIBS_config   = $(FUZZ_PKG_LIBS) -linih
FUZZ_LIBS_hostname = -lidn2
FUZZ_LIBS_search   = -lunistring -lm
FUZZ_LIBS_ratelimit = $(FUZZ_PKG_LIBS)
# pkg-config runs at most once, and only when a rule needs it.
FUZZ_PKG_CFLAGS	   = $(eval FUZZ_PKG_CFLAGS := $(shell pkg-config --cflags $(FUZZ_PKGS)))$(FUZZ_PKG_CFLAGS)
FUZZ_PKG_LIBS	   = $(eval FUZZ_PKG_LIBS := $(shell pkg-config --libs $(FUZZ_PKGS)))$(FUZZ_PKG_LIBS)

FUZZ_BINS	 = $(FUZZ_NAMES:%=$(FUZZ_DIR)/%-fuzz)
FUZZ_REPLAYS	 = $(FUZZ_NAMES:%=$(FUZZ_DIR)/%-replay)
FUZZ_RUN	 = FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_SCRATCH='$(FUZZ_SCRATCH)' \
		   FUZZ_CRASHES='$(FUZZ_CRASHES)' FUZZ_FLAGS='$(FUZZ_FLAGS)' \
		   sh $(FUZZ_DIR)/run.sh

.PHONY: fuzz-build fuzz fuzz-merge fuzz-replay fuzz-clean

fuzz-build: $(FUZZ_BINS) $(FUZZ_REPLAYS)

fuzz: $(FUZZ_BINS)
	@$(FUZZ_RUN) fuzz $(FUZZ_NAMES)

fuzz-merge: $(FUZZ_BINS)
	@$(FUZZ_RUN) merge $(FUZZ_NAMES)

fuzz-replay: $(FUZZ_REPLAYS)
	@$(FUZZ_RUN) replay $(FUZZ_NAMES)

fuzz-clean:
	rm -rf $(FUZZ_DIR)/obj $(FUZZ_BINS) $(FUZZ_REPLAYS)

# Objects per flavour: fuzz (libFuzzer instrumentation) and replay. src/
# warnings are the top-level build's business; the harnesses get the set.
define FUZZ_FLAVOUR
$(FUZZ_DIR)/obj/$(1)/src/%.o: src/%.c src/*.h
	@mkdir -p $$(@D)
	$$(FUZZ_CC_$(1)) $$(FUZZ_CFLAGS) $$(FUZZ_SAN_$(1)) $$(FUZZ_PKG_CFLAGS) -c -o $$@ $$<

$(FUZZ_DIR)/obj/$(1)/%.o: $(FUZZ_DIR)/%.c $(FUZZ_DIR)/fuzz.h src/*.h
	@mkdir -p $$(@D)
	$$(FUZZ_CC_$(1)) $$(FUZZ_CFLAGS) $$(FUZZ_WARN) $$(FUZZ_SAN_$(1)) -c -o $$@ $$<
endef

define FUZZ_HARNESS
$(FUZZ_DIR)/$(1)-fuzz: $(FUZZ_DIR)/obj/fuzz/fuzz_$(1).o \
    $(FUZZ_SRC_$(1):%=$(FUZZ_DIR)/obj/fuzz/src/%.o)
	$$(FUZZ_CC_fuzz) $$(FUZZ_SAN_fuzz) -o $$@ $$^ $$(FUZZ_LIBS_$(1))

$(FUZZ_DIR)/$(1)-replay: $(FUZZ_DIR)/obj/replay/fuzz_$(1).o \
    $(FUZZ_DIR)/obj/replay/replay.o $(FUZZ_SRC_$(1):%=$(FUZZ_DIR)/obj/replay/src/%.o)
	$$(FUZZ_CC_replay) $$(FUZZ_SAN_replay) -o $$@ $$^ $$(FUZZ_LIBS_$(1))
endef

$(foreach f,fuzz replay,$(eval $(call FUZZ_FLAVOUR,$(f))))
$(foreach h,$(FUZZ_NAMES),$(eval $(call FUZZ_HARNESS,$(h))))

# Including this file must not change the includer's default goal.
.DEFAULT_GOAL := $(or $(FUZZ_GOAL_BEFORE),$(if $(FUZZ_ALONE),fuzz-build))
