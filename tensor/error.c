/* error.c — raising errors and the handler stack T_TRY and the notebook cell push onto. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const error_names[T_NERR_KINDS] = {
    [T_ERR_RUNTIME] = "RuntimeError",
    [T_ERR_SHAPE] = "ShapeError",
    [T_ERR_INDEX] = "IndexError",
    [T_ERR_DTYPE] = "TypeError",
    [T_ERR_VALUE] = "ValueError",
    [T_ERR_DEVICE] = "DeviceError",
    [T_ERR_OOM] = "OutOfMemory",
    [T_ERR_IO] = "IOError",
    [T_ERR_AUTOGRAD] = "AutogradError",
    [T_ERR_NOT_IMPLEMENTED] = "NotImplementedError",
    [T_ERR_SEGFAULT] = "SegmentationFault",
    [T_ERR_BUS] = "BusError",
    [T_ERR_FPE] = "FloatingPointError",
    [T_ERR_ILL] = "IllegalInstruction",
    [T_ERR_ABORT] = "Abort",
    [T_ERR_EXIT] = "Exit",
    [T_ERR_STACK] = "StackOverflow",
    [T_ERR_INTERRUPT] = "KeyboardInterrupt",
    [T_ERR_COMPILE] = "CompileError",
};

/* The innermost handler of this thread. */
static __thread TTry *handler_top;

const char *t_error_name(TErrorKind kind) {
    if ((unsigned)kind >= T_NERR_KINDS) return "RuntimeError";
    return error_names[kind];
}

TTry *t_try_push_(TTry *h) {
    h->prev = handler_top;
    h->err.kind = T_ERR_RUNTIME;
    h->err.message[0] = '\0';
    h->err.code = 0;
    h->grad_mode = t_is_grad_enabled();
    handler_top = h;
    return h;
}

/* Pops h if it is still the innermost handler (t_raise pops before jumping), ends the loop. */
TTry *t_try_pop_(TTry *h) {
    if (handler_top == h) handler_top = h->prev;
    return NULL;
}

const TError *t_try_caught_(TTry *h) { return &h->err; }

/* Raises an already formatted error: shared by t_raise and the signal handlers of the cell
   runner, which must not call vsnprintf. */
void t_raise_error(const TError *err) {
    TTry *h = handler_top;
    if (!h) {
        fprintf(stderr, "%s: %s\n", t_error_name(err->kind), err->message);
        exit(1);
    }
    handler_top = h->prev;
    if (&h->err != err) h->err = *err;
    t_set_grad_enabled(h->grad_mode);
    siglongjmp(h->jb, 1);
}

void t_raise(TErrorKind kind, const char *fmt, ...) {
    TError err = {.kind = kind, .code = 0};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    t_raise_error(&err);
}

/* The handler stack of this thread, for a runner that must restore it after a signal. */
TTry *t_try_top_(void) { return handler_top; }
void t_try_set_top_(TTry *h) { handler_top = h; }
