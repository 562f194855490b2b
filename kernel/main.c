/* main.c — the ctorch executable: a Jupyter kernel when given a connection file, the terminal
   REPL otherwise.
 *
 *     ctorch CONNECTION_FILE      run as a Jupyter kernel (what kernel.json starts)
 *     ctorch -f CONNECTION_FILE   the same, as IPython spells it
 *     ctorch                      the terminal REPL (reads cells from stdin when piped)
 *     ctorch --run-cells FILE     runs a file of cells, one JSON result per cell (jit/)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "repl.h"

/* Prints how to call ctorch. */
static void usage(FILE *out) {
    fputs("usage: ctorch                      the terminal REPL\n"
          "       ctorch CONNECTION_FILE      a Jupyter kernel\n"
          "       ctorch -f CONNECTION_FILE   the same\n"
          "       ctorch --run-cells FILE     run the cells of FILE, print one JSON line each\n"
          "       ctorch --version\n",
          out);
}

/* OpenMP's threads spin while they wait for work by default. In a kernel that shares its cores
   with a data loader's thread, a browser and other kernels, spinning threads starve the ones
   with work (measured: a training step 9x slower under load); waiting passively costs a few
   microseconds per parallel region. A short spin before sleeping (GOMP_SPINCOUNT=30000) keeps
   nearly all of the idle machine's speed but not the busy one's: a Fashion-MNIST epoch beside
   one busy process took 4.9-5.3 s with it (4.1-4.2 s with 10000), 1.1-1.2 s passive. The
   policy is read when the OpenMP runtime starts, so the process restarts itself once with it
   set, unless the user chose one. */
static void wait_passively(char **argv) {
    if (getenv("OMP_WAIT_POLICY")) return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the default policy */
}

int main(int argc, char **argv) {
    wait_passively(argv);
    if (argc == 1) return repl_run();
    const char *mode = argv[1];
    if (strcmp(mode, "-h") == 0 || strcmp(mode, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(mode, "--version") == 0) {
        puts("ctorch " CTORCH_VERSION);
        return 0;
    }
    if (strcmp(mode, "-f") == 0 && argc == 3) return kernel_run(argv[2]);
    if (strcmp(mode, "--run-cells") == 0 && argc == 3) return jit_run_cells(argv[2]);
    /* Further modes are added here, before the catch-all. */
    if (mode[0] != '-' && argc == 2) return kernel_run(mode);
    usage(stderr);
    return 2;
}
