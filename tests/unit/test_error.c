/* test_error.c — t_raise and the T_TRY / T_CATCH handler stack (tensor/error.c), and the
   raise assertions of helpers.h that the other unit tests rely on. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* A function a few calls deep that raises, as library code does. */
static void raise_deep(int depth, TErrorKind kind) {
    if (depth == 0) t_raise(kind, "deep: raised at depth %d with %s", 0, "detail");
    else raise_deep(depth - 1, kind);
}

Test(error, names_of_every_kind) {
    static const struct {
        TErrorKind kind;
        const char *name;
    } names[] = {
        {T_ERR_RUNTIME, "RuntimeError"},   {T_ERR_SHAPE, "ShapeError"},
        {T_ERR_INDEX, "IndexError"},       {T_ERR_DTYPE, "TypeError"},
        {T_ERR_VALUE, "ValueError"},       {T_ERR_DEVICE, "DeviceError"},
        {T_ERR_OOM, "OutOfMemory"},        {T_ERR_IO, "IOError"},
        {T_ERR_AUTOGRAD, "AutogradError"}, {T_ERR_NOT_IMPLEMENTED, "NotImplementedError"},
        {T_ERR_SEGFAULT, "SegmentationFault"}, {T_ERR_BUS, "BusError"},
        {T_ERR_FPE, "FloatingPointError"}, {T_ERR_ILL, "IllegalInstruction"},
        {T_ERR_ABORT, "Abort"},            {T_ERR_EXIT, "Exit"},
        {T_ERR_STACK, "StackOverflow"},    {T_ERR_INTERRUPT, "KeyboardInterrupt"},
        {T_ERR_COMPILE, "CompileError"},
    };
    cr_assert_eq(sizeof names / sizeof *names, (size_t)T_NERR_KINDS);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert_str_eq(t_error_name(names[i].kind), names[i].name);
    cr_assert_str_eq(t_error_name(T_NERR_KINDS), "RuntimeError");
    cr_assert_str_eq(t_error_name((TErrorKind)-1), "RuntimeError");
}

Test(error, catch_receives_kind_and_formatted_message) {
    volatile int caught = 0;
    T_TRY { t_raise(T_ERR_SHAPE, "op: shape %s vs %d, %.1f", "[2, 3]", 4, 1.5); }
    T_CATCH(err) {
        caught++;
        cr_assert_eq(err->kind, T_ERR_SHAPE);
        cr_assert_str_eq(err->message, "op: shape [2, 3] vs 4, 1.5");
        cr_assert_eq(err->code, 0);
    }
    cr_assert_eq(caught, 1);
}

Test(error, no_error_skips_catch_and_runs_body_once) {
    volatile int body = 0, caught = 0;
    T_TRY { body++; }
    T_CATCH(err) { caught++; }
    cr_assert_eq(body, 1);
    cr_assert_eq(caught, 0);
    cr_assert_null(t_try_top_(), "the handler stack must be empty after a T_TRY ends");
}

Test(error, code_after_raise_in_body_does_not_run) {
    volatile int after = 0;
    T_TRY {
        raise_deep(5, T_ERR_VALUE);
        after = 1;
    }
    T_CATCH(err) {
        cr_assert_eq(err->kind, T_ERR_VALUE);
        cr_assert_str_eq(err->message, "deep: raised at depth 0 with detail");
    }
    cr_assert_eq(after, 0);
}

Test(error, code_after_the_try_runs) {
    volatile int after = 0;
    T_TRY { t_raise(T_ERR_RUNTIME, "x"); }
    T_CATCH(err) { (void)err; }
    after = 1;
    cr_assert_eq(after, 1);
    cr_assert_null(t_try_top_());
}

Test(error, inner_try_catches_and_outer_sees_nothing) {
    volatile int inner = 0, outer = 0, outer_body_end = 0;
    T_TRY {
        T_TRY { t_raise(T_ERR_INDEX, "inner"); }
        T_CATCH(err) {
            inner++;
            cr_assert_str_eq(err->message, "inner");
        }
        outer_body_end = 1;
    }
    T_CATCH(err) { outer++; }
    cr_assert_eq(inner, 1);
    cr_assert_eq(outer, 0);
    cr_assert_eq(outer_body_end, 1, "the outer body continues after the inner T_TRY");
    cr_assert_null(t_try_top_());
}

Test(error, rethrow_from_inner_catch_reaches_outer) {
    volatile int inner = 0, outer = 0, outer_body_end = 0;
    T_TRY {
        T_TRY { t_raise(T_ERR_DTYPE, "first"); }
        T_CATCH(err) {
            inner++;
            t_raise(err->kind, "rethrown: %s", err->message);
        }
        outer_body_end = 1;
    }
    T_CATCH(err) {
        outer++;
        cr_assert_eq(err->kind, T_ERR_DTYPE);
        cr_assert_str_eq(err->message, "rethrown: first");
    }
    cr_assert_eq(inner, 1);
    cr_assert_eq(outer, 1);
    cr_assert_eq(outer_body_end, 0);
    cr_assert_null(t_try_top_());
}

Test(error, error_after_inner_try_ends_goes_to_outer) {
    volatile int inner = 0, outer = 0;
    T_TRY {
        T_TRY { (void)0; }
        T_CATCH(err) { inner++; }
        t_raise(T_ERR_IO, "after inner");
    }
    T_CATCH(err) {
        outer++;
        cr_assert_eq(err->kind, T_ERR_IO);
    }
    cr_assert_eq(inner, 0);
    cr_assert_eq(outer, 1);
}

Test(error, three_levels_and_sequential_tries) {
    volatile int hits = 0;
    T_TRY {
        T_TRY {
            T_TRY { t_raise(T_ERR_OOM, "a"); }
            T_CATCH(err) { t_raise(T_ERR_OOM, "%s b", err->message); }
        }
        T_CATCH(err) { t_raise(T_ERR_OOM, "%s c", err->message); }
    }
    T_CATCH(err) {
        hits++;
        cr_assert_str_eq(err->message, "a b c");
    }
    for (int i = 0; i < 100; i++) {
        T_TRY { t_raise(T_ERR_RUNTIME, "loop %d", i); }
        T_CATCH(err) { hits++; }
    }
    cr_assert_eq(hits, 101);
    cr_assert_null(t_try_top_());
}

Test(error, long_messages_are_cut_and_terminated) {
    char big[T_ERR_MSG_MAX * 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    T_TRY { t_raise(T_ERR_VALUE, "%s", big); }
    T_CATCH(err) {
        cr_assert_eq(strlen(err->message), (size_t)T_ERR_MSG_MAX - 1);
        cr_assert_eq(err->message[0], 'x');
    }
}

Test(error, library_errors_are_caught) {
    Tensor *a = t_zeros(3), *b = t_zeros(4);
    volatile int caught = 0;
    T_TRY { t_add(a, b); }
    T_CATCH(err) {
        caught = 1;
        cr_assert_eq(err->kind, T_ERR_SHAPE);
    }
    cr_assert_eq(caught, 1);
    /* the library still works after an error was raised through it */
    T_ASSERT_VALUES(t_add(a, t_ones(3)), 0, 1, 1, 1);
}

Test(error, raise_error_passes_a_formatted_error_through) {
    TError e = {.kind = T_ERR_EXIT, .code = 3};
    strcpy(e.message, "exit(3) called");
    T_TRY { t_raise_error(&e); }
    T_CATCH(err) {
        cr_assert_eq(err->kind, T_ERR_EXIT);
        cr_assert_eq(err->code, 3);
        cr_assert_str_eq(err->message, "exit(3) called");
    }
}

Test(error, handler_stack_can_be_saved_and_restored) {
    cr_assert_null(t_try_top_());
    T_TRY {
        TTry *mine = t_try_top_();
        cr_assert_not_null(mine);
        t_try_set_top_(NULL);
        cr_assert_null(t_try_top_());
        t_try_set_top_(mine);
        t_raise(T_ERR_RUNTIME, "still caught here");
    }
    T_CATCH(err) { cr_assert_str_eq(err->message, "still caught here"); }
    cr_assert_null(t_try_top_());
}

/* Body of a thread that raises and catches on its own handler stack; returns whether it saw
   its own error and an empty stack before and after. */
static void *raise_in_thread(void *arg) {
    (void)arg;
    volatile intptr_t ok = t_try_top_() == NULL;
    T_TRY { t_raise(T_ERR_INDEX, "in a thread"); }
    T_CATCH(err) { ok = ok && err->kind == T_ERR_INDEX && !strcmp(err->message, "in a thread"); }
    return (void *)(intptr_t)(ok && t_try_top_() == NULL);
}

Test(error, each_thread_has_its_own_handler_stack) {
    volatile int outer = 0;
    T_TRY {
        TTry *mine = t_try_top_();
        pthread_t th;
        void *ok = NULL;
        cr_assert_eq(pthread_create(&th, NULL, raise_in_thread, NULL), 0);
        cr_assert_eq(pthread_join(th, &ok), 0);
        cr_assert(ok, "the thread's T_TRY caught its own error on an empty stack");
        cr_assert_eq(t_try_top_(), mine, "the thread did not touch this thread's stack");
        t_raise(T_ERR_VALUE, "main");
    }
    T_CATCH(err) { outer = err->kind == T_ERR_VALUE; }
    cr_assert_eq(outer, 1);
}

/* With no handler, the error is printed to stderr and the process exits with status 1. */
Test(error, no_handler_exits_1, .exit_code = 1, .init = cr_redirect_stderr) {
    t_raise(T_ERR_SHAPE, "t_add: shapes %s and %s", "[3]", "[4]");
}

Test(error, no_handler_prints_kind_and_message_to_stderr) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        t_raise(T_ERR_SHAPE, "t_add: shapes %s and %s", "[3]", "[4]");
        _exit(0); /* not reached when t_raise exits */
    }
    close(fds[1]);
    char text[256] = {0};
    size_t n = 0;
    for (ssize_t r; n < sizeof text - 1 && (r = read(fds[0], text + n, sizeof text - 1 - n)) > 0;)
        n += (size_t)r;
    close(fds[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 1);
    cr_assert_str_eq(text, "ShapeError: t_add: shapes [3] and [4]\n");
}

/* ---- the helpers' own checks: a mismatch must be reported, a match must not ---- */

Test(error, raise_mismatch_detects_each_failure) {
    TError e = {.kind = T_ERR_SHAPE};
    strcpy(e.message, "t_add: shapes [3] and [4]");
    const char *words[] = {"t_add", "[3]", "[4]"};
    const char *wrong[] = {"t_sub"};
    cr_assert_null(t_raise_mismatch(true, &e, T_ERR_SHAPE, words, 3));
    cr_assert_null(t_raise_mismatch(true, &e, T_ERR_SHAPE, NULL, 0));
    const char *why = t_raise_mismatch(false, &e, T_ERR_SHAPE, words, 3);
    cr_assert(why && strstr(why, "nothing was raised"));
    why = t_raise_mismatch(true, &e, T_ERR_INDEX, words, 3);
    cr_assert(why && strstr(why, "ShapeError") && strstr(why, "IndexError"));
    why = t_raise_mismatch(true, &e, T_ERR_SHAPE, wrong, 1);
    cr_assert(why && strstr(why, "t_sub"));
}

Test(error, assert_raises_leaves_the_handler_stack_empty) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_raise(T_ERR_VALUE, "v %d", 1), "v 1");
    T_ASSERT_NO_RAISE(t_zeros(2));
    cr_assert_null(t_try_top_());
}
