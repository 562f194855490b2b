# ctorch — build, test, run. `make lab` opens the notebooks; `make test` runs every test.
# Every target that needs packages calls `make deps` first (idempotent, seconds when done).

CC       ?= gcc
BUILD    := build
CUDA     ?= $(if $(shell command -v nvcc 2>/dev/null || test -x /usr/local/cuda/bin/nvcc && echo y),1,0)
NVCC     ?= $(shell command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)
PY       := .venv/bin/python

WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS   ?= -O3 -g
CFLAGS   += -std=gnu11 -fPIC -fopenmp $(WARN) -MMD -MP -Itensor -Ijit -D_GNU_SOURCE
LDLIBS_T := -lopenblas -lgc -lpng -lz -lm -ldl -lpthread -fopenmp

TENSOR_SRC := $(wildcard tensor/*.c)
JIT_SRC    := $(wildcard jit/*.c)
KERNEL_SRC := $(wildcard kernel/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)

TENSOR_OBJ := $(TENSOR_SRC:%.c=$(BUILD)/obj/%.o)
JIT_OBJ    := $(JIT_SRC:%.c=$(BUILD)/obj/%.o)
KERNEL_OBJ := $(KERNEL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

LIB_A   := $(BUILD)/lib/libctorch.a
LIB_SO  := $(BUILD)/lib/libctorch.so
UNIT    := $(BUILD)/tests/unit

# The kernel/REPL executable: libctorch linked whole and exported (-rdynamic) so that cells
# see the whole API; libtcc's own symbols stay hidden from cells.
BIN       := $(BUILD)/bin/ctorch
TS_DIR    := $(BUILD)/third_party/tree-sitter-c
TS_OBJ    := $(BUILD)/obj/third_party/tree_sitter_c_parser.o
HEADERS   := $(BUILD)/include/ctorch.h
LDLIBS_K  := -ltcc -ltree-sitter -lzmq -ljansson -lcrypto -luuid -ledit

.PHONY: all deps test unit pytest bench lab kernelspec install fuzz clean
all: $(LIB_A) $(LIB_SO) $(HEADERS) $(BIN)

$(BUILD)/include/%.h: tensor/%.h
	@mkdir -p $(dir $@)
	cp $< $@

$(TS_OBJ): $(TS_DIR)/src/parser.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -fPIC -w -I$(TS_DIR)/src -c $< -o $@

$(BIN): $(KERNEL_OBJ) $(JIT_OBJ) $(TS_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) -rdynamic -o $@ $(KERNEL_OBJ) $(JIT_OBJ) $(TS_OBJ) \
	    -Wl,--whole-archive $(LIB_A) -Wl,--no-whole-archive \
	    -Wl,--exclude-libs,libtcc.a $(LDLIBS_K) $(LDLIBS_T)

deps:
	@bash scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB_A): $(TENSOR_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(TENSOR_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ $(LDLIBS_T)

$(UNIT): $(UNIT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(UNIT_OBJ) $(LIB_A) -lcriterion $(LDLIBS_T)

unit: $(UNIT)
	$(UNIT) --jobs 2

pytest: all
	$(PY) -m pytest -q tests/python

test: deps
	$(MAKE) all $(UNIT)
	$(UNIT) --jobs 2
	$(PY) -m pytest -q tests/python

bench: deps all
	$(PY) bench/run.py

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
