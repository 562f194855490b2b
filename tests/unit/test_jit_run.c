/* test_jit_run.c — the cell compiler end to end (jit/jit.c and the files it drives): results,
   redefinitions, compile errors that change nothing, guarded crashes and interrupts, streamed
   output, stdin, magics, and the front-end queries (is_complete, complete, inspect). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit_internal.h"

/* What a cell produced, as a front end sees it. */
typedef struct Seen {
    StrBuf out, err, result;
    StrBuf log; /* stdout text and displays, in the order they reached the front end */
    int nresults;
    const char *input; /* the line stdin gives, or NULL */
} Seen;

static void on_stream(void *ctx, int fd, const char *data, size_t len) {
    Seen *s = ctx;
    sb_add(fd == 2 ? &s->err : &s->out, data, len);
    if (fd == 1) sb_add(&s->log, data, len);
}

static char *on_input(void *ctx, const char *prompt, bool password) {
    Seen *s = ctx;
    return s->input ? strdup(s->input) : NULL;
}

static void on_display(void *ctx, DisplayKind kind, const MimeBundle *b, const char *id) {
    Seen *s = ctx;
    size_t len;
    const char *text = mime_get(b, "text/plain", &len);
    sb_printf(&s->log, "[%s %.*s]", kind == DISPLAY_RESULT ? "result" : "display", (int)len, text);
    if (kind != DISPLAY_RESULT) return;
    s->nresults++;
    if (text) sb_add(&s->result, text, len);
}

/* Runs one cell; *seen is reset first. Returns the result (free with jit_result_free). */
static JitResult run(Jit *jit, const char *code, Seen *seen) {
    static int cell_no;
    const char *input = seen->input;
    sb_free(&seen->out);
    sb_free(&seen->err);
    sb_free(&seen->result);
    sb_free(&seen->log);
    memset(seen, 0, sizeof *seen);
    seen->input = input;
    JitIO io = {.ctx = seen, .stream = on_stream, .input = on_input};
    t_display_set_hook(on_display, seen);
    JitResult res;
    jit_execute(jit, code, ++cell_no, &io, &res);
    t_display_set_hook(NULL, NULL);
    return res;
}

/* Runs a cell that must succeed and returns its result text ("" if none). */
static const char *ok(Jit *jit, const char *code, Seen *seen) {
    JitResult res = run(jit, code, seen);
    cr_assert(res.ok, "%s\n-> %s: %s", code, res.ename, res.evalue);
    jit_result_free(&res);
    return seen->result.s ? seen->result.s : "";
}

/* Runs a cell that must fail with ename; returns its evalue (static copy). */
static const char *fails(Jit *jit, const char *code, const char *ename, Seen *seen) {
    static char evalue[T_ERR_MSG_MAX * 2];
    JitResult res = run(jit, code, seen);
    cr_assert_not(res.ok, "%s should fail with %s", code, ename);
    cr_assert_str_eq(res.ename, ename, "%s: %s", code, res.evalue);
    cr_assert_gt(res.ntraceback, 0);
    snprintf(evalue, sizeof evalue, "%s", res.evalue);
    jit_result_free(&res);
    return evalue;
}

Test(jit_run, results_and_state_persist_across_cells) {
    Jit *jit = jit_new();
    Seen s = {0};
    cr_assert_str_eq(ok(jit, "int x = 41;\nx + 1", &s), "42");
    cr_assert_str_eq(ok(jit, "double half(double v) { return v / 2; }\nhalf(x)", &s), "20.5");
    cr_assert_str_eq(ok(jit, "typedef struct { int a; } A;\nA one = {1};\none", &s),
                     "(A){.a = 1}");
    ok(jit, "x++;", &s);
    cr_assert_eq(s.nresults, 0, "a statement ending in ';' shows nothing");
    cr_assert_str_eq(ok(jit, "x", &s), "42");
    jit_free(jit);
}

Test(jit_run, later_cells_use_redefinitions) {
    Jit *jit = jit_new();
    Seen s = {0};
    ok(jit, "int f(void) { return 1; }\nint v = 5;\n#define K 10", &s);
    ok(jit, "int f(void) { return 2; }", &s);
    ok(jit, "double v = 0.25;\n#define K 20", &s);
    cr_assert_str_eq(ok(jit, "f() + v + K", &s), "22.25");
    jit_free(jit);
}

Test(jit_run, a_cell_that_does_not_compile_changes_nothing) {
    Jit *jit = jit_new();
    Seen s = {0};
    ok(jit, "int kept = 1;", &s);
    const char *why = fails(jit, "int kept = 2;\nint bad = nothing_here;", "CompileError", &s);
    cr_assert(strstr(why, "In[") && strstr(why, "line 2"), "%s", why);
    cr_assert_str_eq(ok(jit, "kept", &s), "1");
    why = fails(jit, "undeclared_function(1);", "CompileError", &s);
    cr_assert(strstr(why, "implicit declaration of function 'undeclared_function'"), "%s", why);
    jit_free(jit);
}

Test(jit_run, every_cell_boundary_resets_thread_state) {
    Jit *jit = jit_new();
    Seen s = {0};
    /* a cell that fails to compile runs nothing, yet its boundary still resets grad mode */
    t_set_grad_enabled(false);
    fails(jit, "int bad = nothing_here;", "CompileError", &s);
    cr_assert(t_is_grad_enabled(), "grad mode is back on after a cell that did not compile");
    /* a magic cell's boundary too */
    t_set_grad_enabled(false);
    ok(jit, "%lsmagic", &s);
    cr_assert(t_is_grad_enabled(), "grad mode is back on after a magic");
    /* and a cell that turned it off and then crashed */
    fails(jit, "t_set_grad_enabled(false);\nint *p = 0;\n*p = 1;", "SegmentationFault", &s);
    cr_assert(t_is_grad_enabled());
    jit_free(jit);
}

Test(jit_run, crashes_end_the_cell_not_the_program) {
    Jit *jit = jit_new();
    Seen s = {0};
    ok(jit, "#include <stdlib.h>\nint alive = 3;\nint bad(int *p) { return *p; }", &s);
    for (int i = 0; i < 5; i++) {
        const char *why = fails(jit, "bad(NULL)", "SegmentationFault", &s);
        cr_assert(strstr(why, "in function bad"), "%s", why);
        fails(jit, "exit(2);", "Exit", &s);
        fails(jit, "abort();", "Abort", &s);
        fails(jit, "int zero = 0;\nalive / zero", "FloatingPointError", &s);
        fails(jit, "int down(int n) { return down(n + 1) + 1; }\ndown(0)", "StackOverflow", &s);
    }
    cr_assert_str_eq(ok(jit, "alive", &s), "3");
    jit_free(jit);
}

Test(jit_run, library_errors_end_the_cell) {
    Jit *jit = jit_new();
    Seen s = {0};
    const char *why = fails(jit, "Tensor *a = t_ones(2);\nt_add(a, t_ones(3));", "ShapeError", &s);
    cr_assert(strstr(why, "line 2"), "%s", why);
    cr_assert_str_eq(ok(jit, "t_numel(a)", &s), "2", "what ran before the error is kept");
    jit_free(jit);
}

/* Interrupts the Jit after a delay, from another thread (as the kernel's control thread). */
static void *interrupt_later(void *arg) {
    struct timespec t = {.tv_nsec = 200 * 1000 * 1000};
    nanosleep(&t, NULL);
    Jit *jit = arg;
    for (int i = 0; i < 100 && !atomic_load(&jit->running); i++) nanosleep(&t, NULL);
    jit_interrupt(jit);
    return NULL;
}

Test(jit_run, an_infinite_loop_is_interrupted) {
    Jit *jit = jit_new();
    Seen s = {0};
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, jit);
    fails(jit, "volatile int spin = 1;\nwhile (spin);", "KeyboardInterrupt", &s);
    pthread_join(th, NULL);
    cr_assert_str_eq(ok(jit, "spin", &s), "1");
    jit_free(jit);
}

Test(jit_run, output_is_streamed_in_order) {
    Jit *jit = jit_new();
    Seen s = {0};
    ok(jit, "#include <unistd.h>\nprintf(\"a\");\nfflush(stdout);\nwrite(1, \"b\", 1);\n"
            "puts(\"c\");\nfprintf(stderr, \"e\");",
       &s);
    cr_assert_str_eq(s.out.s, "abc\n");
    cr_assert_str_eq(s.err.s, "e");
    ok(jit, "for (int i = 0; i < 100000; i++) printf(\"%09d\\n\", i);", &s);
    cr_assert_eq(s.out.len, 1000000u, "a megabyte arrives whole");
    jit_free(jit);
}

Test(jit_run, displays_and_results_come_after_the_output_before_them) {
    Jit *jit = jit_new();
    Seen s = {0};
    ok(jit, "printf(\"one \");\ndisplay(2);\nprintf(\"three \");\n4", &s);
    cr_assert_str_eq(s.log.s, "one [display 2]three [result 4]");
    jit_free(jit);
}

Test(jit_run, stdin_goes_through_the_front_end) {
    Jit *jit = jit_new();
    Seen s = {.input = "20 22"};
    cr_assert_str_eq(ok(jit, "int p, q;\nscanf(\"%d %d\", &p, &q);\np + q", &s), "42");
    s.input = NULL;
    const char *why = fails(jit, "getchar();", "IOError", &s);
    cr_assert(strstr(why, "getchar"), "%s", why);
    jit_free(jit);
}

/* A magic for the test: echoes its arguments and body. */
static void echo_magic(Jit *jit, const char *args, const char *body, int cell_no,
                       const JitIO *io, JitResult *res) {
    StrBuf b = {0};
    sb_printf(&b, "[%s|%s]", args, body ? body : "");
    jit_print(io, b.s);
    sb_free(&b);
    res->ok = true;
}

Test(jit_run, magics_are_registered_by_name) {
    Jit *jit = jit_new();
    Seen s = {0};
    jit_register_magic("echo", JIT_CELL_MAGIC, echo_magic, "echo the cell");
    ok(jit, "%%echo one two\nbody line", &s);
    cr_assert_str_eq(s.out.s, "[ one two|body line]");
    ok(jit, "%lsmagic", &s);
    cr_assert(strstr(s.out.s, "%%echo  echo the cell"), "%s", s.out.s);
    ok(jit, "int counter = 0;", &s);
    ok(jit, "%timeit -n 5 -r 2 counter++", &s);
    cr_assert(strstr(s.out.s, "of 2 runs, 5 loops each"), "%s", s.out.s);
    cr_assert_str_eq(ok(jit, "counter", &s), "10");
    jit_free(jit);
}

Test(jit_run, is_complete_follows_brackets_comments_and_bodies) {
    Jit *jit = jit_new();
    const char *indent;
    cr_assert_str_eq(jit_is_complete(jit, "int x = 1;", &indent), "complete");
    cr_assert_str_eq(jit_is_complete(jit, "x + 1", &indent), "complete");
    cr_assert_str_eq(jit_is_complete(jit, "int f(void) {", &indent), "incomplete");
    cr_assert_str_eq(indent, "    ");
    cr_assert_str_eq(jit_is_complete(jit, "g(1,", &indent), "incomplete");
    cr_assert_str_eq(jit_is_complete(jit, "/* open comment", &indent), "incomplete");
    cr_assert_str_eq(jit_is_complete(jit, "for (int i = 0; i < 3; i++)", &indent), "incomplete");
    cr_assert_str_eq(jit_is_complete(jit, "#define LONG 1 + \\", &indent), "incomplete");
    cr_assert_str_eq(jit_is_complete(jit, "int x = 1; }", &indent), "invalid");
    jit_free(jit);
}

/* Whether name is among the n completions. */
static bool has(char **m, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i], name)) return true;
    return false;
}

static void free_matches(char **m, int n) {
    for (int i = 0; i < n; i++) free(m[i]);
    free(m);
}

Test(jit_run, completion_offers_keywords_api_cell_names_and_members) {
    Jit *jit = jit_new();
    Seen s = {0};
    ok(jit, "typedef struct { int width; int weight; } Box;\nBox box = {1, 2};\n"
            "int wanted = 3;",
       &s);
    int n, start, end;
    char **m = jit_complete(jit, "t_zer", 5, &n, &start, &end);
    cr_assert(has(m, n, "t_zeros") && has(m, n, "t_zeros_like"));
    cr_assert_eq(start, 0);
    cr_assert_eq(end, 5);
    free_matches(m, n);
    m = jit_complete(jit, "x = wan", 7, &n, &start, &end);
    cr_assert(has(m, n, "wanted"));
    cr_assert_eq(start, 4);
    free_matches(m, n);
    m = jit_complete(jit, "whi", 3, &n, &start, &end);
    cr_assert(has(m, n, "while"));
    free_matches(m, n);
    m = jit_complete(jit, "box.w", 5, &n, &start, &end);
    cr_assert_eq(n, 2);
    cr_assert(has(m, n, "width") && has(m, n, "weight"));
    free_matches(m, n);
    m = jit_complete(jit, "Shape sh = t_shape(x);\nsh.", 26, &n, &start, &end);
    cr_assert(has(m, n, "ndim") && has(m, n, "d"), "members of ctorch's Shape");
    free_matches(m, n);
    jit_free(jit);
}

Test(jit_run, inspection_shows_signatures_and_doc_comments) {
    Jit *jit = jit_new();
    Seen s = {0};
    char *doc = jit_inspect(jit, "y = t_matmul(a, b)", 6, 0);
    cr_assert_not_null(doc);
    cr_assert(strstr(doc, "Tensor *t_matmul(Tensor *a, Tensor *b);"), "%s", doc);
    cr_assert(strstr(doc, "Matrix product"), "%s", doc);
    free(doc);
    ok(jit, "int triple(int v) { return 3 * v; }", &s);
    doc = jit_inspect(jit, "triple(", 7, 1);
    cr_assert(doc && strstr(doc, "return 3 * v;"), "%s", doc);
    free(doc);
    cr_assert_null(jit_inspect(jit, "no_such_name", 3, 0));
    jit_free(jit);
}
