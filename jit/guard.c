/*
 * guard.c — runs a cell so that nothing it does ends the process: crashes (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT, stack overflow), interrupts, and ctorch errors all long-jump back
 * to the cell's handler and become a failed JitResult. Signal handlers run on an alternate
 * stack, so a stack overflow can be reported too.
 */
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "jit_internal.h"

/* The signal jit_interrupt sends to the cell's thread. */
#define INTERRUPT_SIGNAL SIGUSR2
/* Size of the alternate signal stack (the handlers format messages and walk the stack). */
enum { ALTSTACK_BYTES = 256 * 1024 };
/* An interrupt that lands outside cell code (in libc or ctorch, which may hold a lock) waits
   for the cell's own code: it is retried this often, at most this many times, and then taken
   wherever the cell is. */
enum { INTERRUPT_RETRY_NS = 5 * 1000 * 1000, INTERRUPT_MAX_TRIES = 200 };
/* A fault this close to the cell thread's stack limit is a stack overflow, and so is any fault
   while the stack pointer is this close to it. */
enum { STACK_SLACK_BYTES = 1024 * 1024, STACK_NEAR_BYTES = 64 * 1024 };
/* Frames searched for the innermost cell function when a crash is inside a library. */
enum { BACKTRACE_DEPTH = 64 };

/* The signals turned into errors, and the handlers that were there before a cell. The
   interrupt signal's handler stays installed between cells: an interrupt sent just as a cell
   ends must find it (it does nothing then). */
static const int GUARDED[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
enum { NGUARDED = sizeof GUARDED / sizeof GUARDED[0] };
static struct sigaction saved_actions[NGUARDED];

Jit *jit_current;

/* Ends the running cell with an error (from a signal handler or a bound libc function). */
void guard_raise(TErrorKind kind, int code, const char *what) {
    Jit *jit = jit_current;
    TError err = {.kind = kind, .code = code};
    snprintf(err.message, sizeof err.message, "%s", what);
    if (jit && jit->cell_handler) t_try_set_top_(jit->cell_handler);
    t_raise_error(&err);
}

/* Records the crash's function and, from the line marks, its line. at is the crash address
   or a return address (which points after its call: one byte back is inside it). */
static void record(Jit *jit, const CodeSym *c, const char *at, bool is_return) {
    snprintf(jit->crash_fn, sizeof jit->crash_fn, "%s", c->name);
    jit->crash_fn_cell = c->cell_no;
    const LineMark *m = jit_line_at(jit, c->addr, is_return ? at - 1 : at);
    jit->crash_fn_line = m ? m->line : 0;
}

/* Where in the cells the crash happened: the function holding pc, or the innermost cell
   function on the stack when pc is in a library. */
static void locate(Jit *jit, void *pc) {
    jit->crash_fn[0] = '\0';
    jit->crash_fn_cell = -1;
    jit->crash_fn_line = 0;
    const CodeSym *c = jit_code_at(jit, pc);
    if (c) {
        record(jit, c, pc, false);
        return;
    }
    void *frames[BACKTRACE_DEPTH];
    int n = backtrace(frames, BACKTRACE_DEPTH);
    for (int i = 0; i < n; i++) {
        c = jit_code_at(jit, frames[i]);
        if (c) {
            record(jit, c, frames[i], true);
            return;
        }
    }
}

/* Whether a SIGSEGV at addr is the cell thread running out of stack. */
static bool is_stack_overflow(const Jit *jit, const char *addr, const char *sp) {
    if (!jit->stack_lo) return false;
    const char *lo = jit->stack_lo;
    if (addr >= lo - STACK_SLACK_BYTES && addr < lo + STACK_SLACK_BYTES) return true;
    return sp && sp < lo + STACK_NEAR_BYTES;
}

/* A crash signal: becomes the error the cell ends with. */
static void on_crash(int sig, siginfo_t *si, void *ucv) {
    Jit *jit = jit_current;
    ucontext_t *uc = ucv;
    if (!jit || !atomic_load(&jit->running) || !pthread_equal(pthread_self(), jit->thread)) {
        /* not from a cell: let the default action happen */
        signal(sig, SIG_DFL);
        if (sig == SIGABRT) raise(sig);
        return;
    }
    void *pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
    const char *sp = (const char *)uc->uc_mcontext.gregs[REG_RSP];
    char what[T_ERR_MSG_MAX];
    TErrorKind kind = T_ERR_SEGFAULT;
    switch (sig) {
    case SIGSEGV:
        if (is_stack_overflow(jit, si->si_addr, sp)) {
            kind = T_ERR_STACK;
            snprintf(what, sizeof what, "stack overflow (infinite recursion?)");
        } else {
            snprintf(what, sizeof what, "invalid memory access at address %p", si->si_addr);
        }
        break;
    case SIGBUS:
        kind = T_ERR_BUS;
        snprintf(what, sizeof what, "bus error at address %p", si->si_addr);
        break;
    case SIGFPE:
        kind = T_ERR_FPE;
        snprintf(what, sizeof what, "%s",
                 si->si_code == FPE_INTDIV ? "integer division by zero"
                 : si->si_code == FPE_INTOVF ? "integer overflow"
                                             : "arithmetic error");
        break;
    case SIGILL:
        kind = T_ERR_ILL;
        snprintf(what, sizeof what, "illegal instruction at %p", pc);
        break;
    default:
        kind = T_ERR_ABORT;
        snprintf(what, sizeof what, "abort() was called");
        break;
    }
    if (kind != T_ERR_STACK) {
        locate(jit, pc);
    } else {
        const CodeSym *c = jit_code_at(jit, pc);
        jit->crash_fn[0] = '\0';
        jit->crash_fn_cell = -1;
        jit->crash_fn_line = 0;
        if (c) record(jit, c, pc, false);
    }
    guard_raise(kind, sig, what);
}

/* The interrupt signal: stops the cell when it is in its own code, else tries again soon. */
static void on_interrupt(int sig, siginfo_t *si, void *ucv) {
    (void)sig;
    (void)si;
    Jit *jit = jit_current;
    if (!jit || !atomic_load(&jit->running) || !atomic_load(&jit->interrupt)) return;
    ucontext_t *uc = ucv;
    void *pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
    if (arena_contains(&jit->arena, pc) || ++jit->interrupt_tries >= INTERRUPT_MAX_TRIES) {
        atomic_store(&jit->interrupt, false);
        locate(jit, pc);
        guard_raise(T_ERR_INTERRUPT, SIGINT, "interrupted by the user");
    }
    if (jit->have_timer) {
        struct itimerspec its = {.it_value = {.tv_nsec = INTERRUPT_RETRY_NS}};
        timer_settime(jit->timer, 0, &its, NULL);
    }
}

/* Prepares the thread cells run on: alternate stack, stack bounds, interrupt handler and timer. */
void guard_thread_init(Jit *jit) {
    if (jit->thread_ready && pthread_equal(jit->thread, pthread_self())) return;
    jit->thread = pthread_self();
    if (!jit->altstack) jit->altstack = jit_xmalloc(ALTSTACK_BYTES);
    stack_t ss = {.ss_sp = jit->altstack, .ss_size = ALTSTACK_BYTES};
    sigaltstack(&ss, NULL);
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) jit->stack_lo = lo;
        pthread_attr_destroy(&attr);
    }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_interrupt;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(INTERRUPT_SIGNAL, &sa, NULL);
    if (jit->have_timer) timer_delete(jit->timer);
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = INTERRUPT_SIGNAL};
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid); /* sigev_notify_thread_id */
    jit->have_timer = timer_create(CLOCK_MONOTONIC, &sev, &jit->timer) == 0;
    jit->thread_ready = true;
}

/* Installs the handlers for the duration of a cell. */
static void install(void) {
    for (int i = 0; i < NGUARDED; i++) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_crash;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(GUARDED[i], &sa, &saved_actions[i]);
    }
    /* the signals may have been blocked by whoever called us */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, INTERRUPT_SIGNAL);
    for (int i = 0; i < NGUARDED; i++) sigaddset(&set, GUARDED[i]);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Puts back the handlers that were there before the cell. */
static void uninstall(void) {
    for (int i = 0; i < NGUARDED; i++) sigaction(GUARDED[i], &saved_actions[i], NULL);
}

/* The traceback of a failed cell: where it was, as far as it is known. */
static void fill_error(Jit *jit, const TError *err, JitResult *res) {
    bool is_signal = err->kind >= T_ERR_SEGFAULT && err->kind <= T_ERR_INTERRUPT &&
                     err->kind != T_ERR_EXIT;
    StrBuf where = {0};
    sb_printf(&where, "In[%d]", jit->cell_no);
    if (jit->line > 0) sb_printf(&where, " line %d", jit->line);
    bool in_function = is_signal && jit->crash_fn[0] && strcmp(jit->crash_fn, "<cell>");
    if (in_function) {
        sb_printf(&where, ", in function %s", jit->crash_fn);
        if (jit->crash_fn_cell >= 0 && jit->crash_fn_cell != jit->cell_no)
            sb_printf(&where, " (defined in In[%d])", jit->crash_fn_cell);
        if (jit->crash_fn_line > 0) sb_printf(&where, " at line %d", jit->crash_fn_line);
    }
    StrBuf evalue = {0};
    sb_printf(&evalue, "%s (%s)", err->message, where.s);
    /* the error, where it was, the cell's line quoted, the function's line with its place */
    enum { TRACEBACK_LINES = 5 };
    char **tb = jit_xmalloc(sizeof(char *) * TRACEBACK_LINES);
    int ntb = 0;
    StrBuf l = {0};
    sb_printf(&l, "\x1b[0;31m%s\x1b[0m: %s", t_error_name(err->kind), err->message);
    tb[ntb++] = sb_take(&l);
    sb_printf(&l, "  %s", where.s);
    tb[ntb++] = sb_take(&l);
    StrBuf cellname = {0};
    sb_printf(&cellname, "In[%d]", jit->cell_no);
    diag_quote(jit, &l, cellname.s, jit->line, NULL);
    if (l.len) tb[ntb++] = sb_take(&l);
    if (in_function && jit->crash_fn_line > 0) {
        int fcell = jit->crash_fn_cell >= 0 ? jit->crash_fn_cell : jit->cell_no;
        sb_free(&cellname);
        sb_printf(&cellname, "In[%d]", fcell);
        sb_printf(&l, "  %s line %d, in %s", cellname.s, jit->crash_fn_line, jit->crash_fn);
        tb[ntb++] = sb_take(&l);
        diag_quote(jit, &l, cellname.s, jit->crash_fn_line, NULL);
        if (l.len) tb[ntb++] = sb_take(&l);
    }
    sb_free(&l);
    sb_free(&cellname);
    result_error(res, err->kind, evalue.s, tb, ntb);
    res->kind = err->kind;
    sb_free(&evalue);
    sb_free(&where);
}

/* Runs fn under the cell's handler; res says how it ended. */
void guard_run(Jit *jit, void (*fn)(void), JitResult *res) {
    guard_thread_init(jit);
    TTry *volatile saved = t_try_top_();
    TTry h;
    t_try_push_(&h);
    jit->cell_handler = &h;
    jit->interrupt_tries = 0;
    jit->crash_fn[0] = '\0';
    jit->line = 0;
    atomic_store(&jit->interrupt, false);
    install();
    atomic_store(&jit->running, true);
    if (sigsetjmp(h.jb, 1) == 0) {
        fn();
        atomic_store(&jit->running, false);
        t_try_pop_(&h);
        res->ok = true;
        /* interrupted in a blocking call (sleep, read) that then returned: still an interrupt */
        if (atomic_load(&jit->interrupt)) {
            TError err = {.kind = T_ERR_INTERRUPT, .code = SIGINT};
            snprintf(err.message, sizeof err.message, "interrupted by the user");
            fill_error(jit, &err, res);
        }
    } else {
        atomic_store(&jit->running, false);
        t_try_set_top_(saved);
        fill_error(jit, &h.err, res);
    }
    if (jit->have_timer) {
        struct itimerspec off = {0};
        timer_settime(jit->timer, 0, &off, NULL);
    }
    atomic_store(&jit->interrupt, false);
    uninstall();
    jit->cell_handler = NULL;
}

/* Asks the running cell to stop (async-signal-safe: a flag and pthread_kill). */
void jit_interrupt(Jit *jit) {
    if (!jit || !atomic_load(&jit->running)) return;
    atomic_store(&jit->interrupt, true);
    pthread_kill(jit->thread, INTERRUPT_SIGNAL);
}
