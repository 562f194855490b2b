/*
 * runner_cli.c — `ctorch --run-cells FILE`: runs a file of cells without a front end and
 * prints what each produced as one JSON object per line, for tests and scripts.
 *
 * FILE holds sections that start with a line "--- KIND ...": "--- cell" starts a cell;
 * "--- stdin" gives the lines the cell before it reads; "--- interrupt-after SECONDS"
 * interrupts the cell before it; any other section (expectations) is ignored here.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit_internal.h"

/* How a section of the file starts, and the section that interrupts the cell before it. */
static const char SECTION[] = "--- ", INTERRUPT[] = "interrupt-after";

/* One cell of the file and what it needs. */
typedef struct RunCell {
    StrBuf code;
    char **input;
    int ninput, next_input;
    double interrupt_after; /* seconds, or 0 for none */
} RunCell;

/* What a cell produced. */
typedef struct Outputs {
    StrBuf out, err, result;
    bool has_result;
    char **displays;
    int ndisplays;
    RunCell *cell;
} Outputs;

/* JitIO.stream: collects the cell's output. */
static void on_stream(void *ctx, int fd, const char *data, size_t len) {
    Outputs *o = ctx;
    sb_add(fd == 2 ? &o->err : &o->out, data, len);
}

/* JitIO.input: the next "--- stdin" line of the cell, or NULL. */
static char *on_input(void *ctx, const char *prompt, bool password) {
    Outputs *o = ctx;
    RunCell *c = o->cell;
    if (c->next_input >= c->ninput) return NULL;
    return jit_strdup(c->input[c->next_input++]);
}

/* The display hook: keeps the text of the result and of display() outputs. */
static void on_display(void *ctx, DisplayKind kind, const MimeBundle *b, const char *id) {
    Outputs *o = ctx;
    size_t len = 0;
    const char *text = mime_get(b, "text/plain", &len);
    if (kind == DISPLAY_RESULT) {
        o->has_result = true;
        if (text) sb_add(&o->result, text, len);
    } else if (kind == DISPLAY_DATA || kind == DISPLAY_UPDATE) {
        o->displays = jit_xrealloc(o->displays, sizeof(char *) * (size_t)(o->ndisplays + 1));
        o->displays[o->ndisplays++] = text ? jit_strndup(text, len) : jit_strdup("");
    }
}

/* Writes s as a JSON string. */
static void json_string(FILE *f, const char *s) {
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* Whether s starts with word. */
static bool starts_with(const char *s, const char *word) { return !strncmp(s, word, strlen(word)); }

/* Splits the file into cells. */
static RunCell *parse_cells(const char *text, int *n) {
    RunCell *cells = NULL;
    *n = 0;
    enum { NONE, CELL, STDIN, OTHER } mode = NONE;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (starts_with(p, SECTION)) {
            const char *kind = p + strlen(SECTION);
            if (starts_with(kind, "cell")) {
                cells = jit_xrealloc(cells, sizeof(RunCell) * (size_t)(*n + 1));
                memset(&cells[*n], 0, sizeof(RunCell));
                (*n)++;
                mode = CELL;
            } else if (starts_with(kind, "stdin") && *n) {
                mode = STDIN;
            } else if (starts_with(kind, INTERRUPT) && *n) {
                cells[*n - 1].interrupt_after = atof(kind + strlen(INTERRUPT));
                mode = OTHER;
            } else {
                mode = OTHER;
            }
        } else if (mode == CELL) {
            sb_add(&cells[*n - 1].code, p, len);
            sb_puts(&cells[*n - 1].code, "\n");
        } else if (mode == STDIN) {
            RunCell *c = &cells[*n - 1];
            c->input = jit_xrealloc(c->input, sizeof(char *) * (size_t)(c->ninput + 1));
            c->input[c->ninput++] = jit_strndup(p, len);
        }
        p = eol ? eol + 1 : p + len;
    }
    return cells;
}

/* How long the interrupting thread waits for the cell to start running, at most. */
enum { INTERRUPT_WAIT_NS = 10 * 1000 * 1000, INTERRUPT_WAIT_TICKS = 500 };

/* What the interrupting thread needs. */
typedef struct Interrupter {
    Jit *jit;
    double after;
} Interrupter;

/* Interrupts the cell after its delay (as a kernel's control thread would). */
static void *interrupter_main(void *arg) {
    Interrupter *in = arg;
    struct timespec t = {.tv_sec = (time_t)in->after,
                         .tv_nsec = (long)((in->after - (double)(time_t)in->after) * 1e9)};
    nanosleep(&t, NULL);
    /* the cell may still be compiling: wait until it runs */
    struct timespec tick = {.tv_nsec = INTERRUPT_WAIT_NS};
    for (int i = 0; i < INTERRUPT_WAIT_TICKS && !atomic_load(&in->jit->running); i++)
        nanosleep(&tick, NULL);
    jit_interrupt(in->jit);
    return NULL;
}

/* Milliseconds on the monotonic clock. */
static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Prints one cell's outcome as a JSON line; ms is how long jit_execute took. */
static void print_outcome(int no, const JitResult *res, const Outputs *o, double ms) {
    FILE *f = stdout;
    fprintf(f, "{\"cell\": %d, \"ok\": %s, \"ms\": %.3f, \"stdout\": ", no,
            res->ok ? "true" : "false", ms);
    json_string(f, o->out.s ? o->out.s : "");
    fputs(", \"stderr\": ", f);
    json_string(f, o->err.s ? o->err.s : "");
    fputs(", \"result\": ", f);
    json_string(f, o->has_result ? (o->result.s ? o->result.s : "") : NULL);
    fputs(", \"displays\": [", f);
    for (int i = 0; i < o->ndisplays; i++) {
        if (i) fputs(", ", f);
        json_string(f, o->displays[i]);
    }
    fputs("], \"ename\": ", f);
    json_string(f, res->ok ? NULL : res->ename);
    fputs(", \"evalue\": ", f);
    json_string(f, res->ok ? NULL : res->evalue);
    fputs(", \"traceback\": [", f);
    for (int i = 0; !res->ok && i < res->ntraceback; i++) {
        if (i) fputs(", ", f);
        json_string(f, res->traceback[i]);
    }
    fputs("]}\n", f);
    fflush(f);
}

/* Runs every cell of the file in one program and prints their outcomes. */
int jit_run_cells(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ctorch: cannot read %s: %m\n", path);
        return 2;
    }
    StrBuf text = {0};
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&text, buf, got);
    fclose(f);
    int n;
    RunCell *cells = parse_cells(text.s ? text.s : "", &n);
    Jit *jit = jit_new();
    for (int i = 0; i < n; i++) {
        Outputs o = {.cell = &cells[i]};
        JitIO io = {.ctx = &o, .stream = on_stream, .input = on_input};
        t_display_set_hook(on_display, &o);
        JitResult res;
        pthread_t th;
        Interrupter in = {jit, cells[i].interrupt_after};
        bool interrupting = in.after > 0 && pthread_create(&th, NULL, interrupter_main, &in) == 0;
        double t0 = now_ms();
        jit_execute(jit, cells[i].code.s ? cells[i].code.s : "", i + 1, &io, &res);
        double ms = now_ms() - t0;
        if (interrupting) pthread_join(th, NULL);
        t_display_set_hook(NULL, NULL);
        print_outcome(i + 1, &res, &o, ms);
        jit_result_free(&res);
        sb_free(&o.out);
        sb_free(&o.err);
        sb_free(&o.result);
        for (int k = 0; k < o.ndisplays; k++) free(o.displays[k]);
        free(o.displays);
    }
    for (int i = 0; i < n; i++) {
        sb_free(&cells[i].code);
        for (int k = 0; k < cells[i].ninput; k++) free(cells[i].input[k]);
        free(cells[i].input);
    }
    free(cells);
    sb_free(&text);
    jit_free(jit);
    return 0;
}
