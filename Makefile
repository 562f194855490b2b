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
# OpenBLAS built with OpenMP, so GEMM and ctorch's own loops share one thread pool instead of
# two pools fighting over the cores (measured: a CNN training step 4x slower with pthreads).
BLAS_DIR := /usr/lib/$(shell $(CC) -print-multiarch)/openblas-openmp
LDLIBS_T := -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas -lgc -lpng -lcairo -lz -lm -ldl \
            -lpthread -fopenmp

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
HEADERS   := $(patsubst tensor/%,$(BUILD)/include/%,$(wildcard tensor/ctorch*.h))
LDLIBS_K  := -ltcc -ltree-sitter -lzmq -ljansson -lcrypto -luuid -ledit

.PHONY: all deps test unit pytest bench lab kernelspec install fuzz clean
all: $(LIB_A) $(LIB_SO) $(HEADERS) $(BIN)

$(BUILD)/include/%.h: tensor/%.h
	@mkdir -p $(dir $@)
	cp $< $@

$(TS_OBJ): $(TS_DIR)/src/parser.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -fPIC -w -Ijit/ts_compat -I$(TS_DIR)/src -c $< -o $@

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

# Linked like the kernel (libctorch whole, exported) so the cell compiler's tests can run cells.
$(UNIT): $(UNIT_OBJ) $(JIT_OBJ) $(TS_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) -rdynamic -o $@ $(UNIT_OBJ) $(JIT_OBJ) $(TS_OBJ) \
	    -Wl,--whole-archive $(LIB_A) -Wl,--no-whole-archive \
	    -Wl,--exclude-libs,libtcc.a -lcriterion -ltcc -ltree-sitter $(LDLIBS_T)

unit: $(UNIT)
	$(UNIT) --jobs 2

pytest: all
	$(PY) -m pytest -q tests/python

JOBS := $(shell nproc)

test: deps
	$(MAKE) -j$(JOBS) all kernelspec $(UNIT)
	$(UNIT) --jobs $(JOBS)
	$(PY) -m pytest -q tests/python

# The C side of the PyTorch comparison: ctorch ops timed without any Python in between.
BENCH_BIN := $(BUILD)/bin/bench_ops

$(BENCH_BIN): $(BUILD)/obj/bench/bench_ops.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(LIB_A) $(LDLIBS_T)

bench: deps all kernelspec $(BENCH_BIN)
	$(PY) bench/run.py
	$(PY) bench/kernel_bench.py
	$(PY) bench/cell_bench.py

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests

# ---- Jupyter: the kernelspec, installing it, JupyterLab; the wire decoder's fuzz target ----
KSPEC_DIR  := $(BUILD)/share/jupyter/kernels/ctorch
FUZZ_BIN   := $(BUILD)/fuzz/fuzz_wire
FUZZ_TIME  ?= 60
CLANG      ?= clang-14

# The kernelspec points at the built binary by absolute path; tests find it via JUPYTER_PATH.
kernelspec: $(BIN)
	@mkdir -p $(KSPEC_DIR)
	sed 's|@CTORCH_BIN@|$(abspath $(BIN))|' kernelspec/kernel.json.in > $(KSPEC_DIR)/kernel.json
	cp kernelspec/logo-32x32.png kernelspec/logo-64x64.png $(KSPEC_DIR)/

install: deps
	$(MAKE) kernelspec
	.venv/bin/jupyter kernelspec install --user --replace --name ctorch $(KSPEC_DIR)

lab: deps
	$(MAKE) all kernelspec
	JUPYTER_PATH=$(abspath $(BUILD)/share/jupyter) .venv/bin/jupyter lab \
	    $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

$(FUZZ_BIN): fuzz/fuzz_wire.c kernel/wire.c kernel/wire.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -Ikernel fuzz/fuzz_wire.c kernel/wire.c \
	    -o $@ -ljansson -lcrypto -luuid

# Fuzzes for FUZZ_TIME seconds (make fuzz FUZZ_TIME=600 for a longer run).
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_TIME) $(BUILD)/fuzz/corpus fuzz/corpus

# ---- CUDA: build/lib/libctorch-cuda.so, loaded by libctorch at run time (tensor/cuda_loader.c) ----
# CUDA=1 (the default when nvcc exists) builds it; make CUDA=0 skips it. Warnings are errors
# (-Wno-pragmas: ctorch.h's C-only diagnostic pragmas mean nothing to the C++ host compiler).
# One real architecture plus its PTX keeps the build short; newer GPUs JIT the PTX once (the
# driver caches it). A GPU machine may add its own: make CUDA_GENCODE='-gencode ...'.
CUDA_HOME    ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDA_GENCODE ?= -gencode arch=compute_80,code=[sm_80,compute_80]
CUDA_SRC     := $(wildcard cuda/*.cu)
CUDA_OBJ     := $(CUDA_SRC:%.cu=$(BUILD)/obj/%.o)
CUDA_LIB     := $(BUILD)/lib/libctorch-cuda.so
NVCC_FLAGS   := -O3 -std=c++20 --extended-lambda --expt-relaxed-constexpr $(CUDA_GENCODE) -Werror all-warnings \
                -Xcompiler -fPIC,-fvisibility=hidden,-Wall,-Wextra,-Werror,-Wno-unused-parameter,-Wno-missing-field-initializers,-Wno-pragmas \
                -Itensor -Icuda -MMD -MP

$(BUILD)/obj/tensor/cuda_loader.o: CFLAGS += -DCTORCH_CUDA_LIB_DIR='"$(abspath $(BUILD)/lib)"'

$(BUILD)/obj/cuda/%.o: cuda/%.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCC_FLAGS) -c $< -o $@

# Linked without libcuda (the driver is reached through the runtime), so the library loads on
# machines without a GPU and NVRTC still compiles there.
$(CUDA_LIB): $(CUDA_OBJ)
	@mkdir -p $(dir $@)
	$(NVCC) -shared -o $@ $^ -lcublas -lnvrtc -Xlinker -z,defs \
	    -Xlinker -rpath=$(CUDA_HOME)/lib64

ifeq ($(CUDA),1)
all: $(CUDA_LIB)
unit: $(CUDA_LIB)
endif

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
