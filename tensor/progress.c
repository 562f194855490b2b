/*
 * progress.c — progress bars over loops, as tqdm draws them: a new output with a display id,
 * then updates of that output (throttled to a few a second, plus the final state). With no
 * display hook (a plain C program), the bar is a line on stderr redrawn with "\r".
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plot.h"

/* Seconds between two redraws unless told: at most ten a second, which a notebook keeps up
   with and a person can still read. */
static const double DEFAULT_MIN_INTERVAL = 0.1;
/* Characters of the text bar, and eighths of a cell drawn with the partial block glyphs. */
enum { BAR_CELLS = 20, CELL_EIGHTHS = 8 };
/* Seconds in a minute and an hour, for "mm:ss" and "h:mm:ss". */
enum { SEC_PER_MIN = 60, SEC_PER_HOUR = 3600 };
/* Width in pixels of the HTML bar. */
enum { HTML_BAR_PX = 300 };

/* Full block and the left one-eighth to seven-eighths blocks, as tqdm draws its bar. */
static const char *const BLOCKS[CELL_EIGHTHS] = {" ", "\xe2\x96\x8f", "\xe2\x96\x8e",
                                                 "\xe2\x96\x8d", "\xe2\x96\x8c", "\xe2\x96\x8b",
                                                 "\xe2\x96\x8a", "\xe2\x96\x89"};
static const char FULL_BLOCK[] = "\xe2\x96\x88";

struct Progress {
    int64_t total, count;
    const char *desc, *unit, *postfix;
    double min_interval;
    double start, last_shown; /* monotonic seconds */
    int64_t last_count;       /* count at the last redraw */
    bool to_hook, closed;
    bool changed;             /* postfix or description set since the last redraw */
    const char *display_id;
    pthread_t owner;          /* the thread that opened it */
    Progress *next_open;      /* the list of open bars */
};

/* Bars not closed yet, so that a cell boundary can close what a failed loop left open. A
   global list, since the collector scans globals but not thread-local storage. */
static Progress *open_bars;
static pthread_mutex_t open_bars_lock = PTHREAD_MUTEX_INITIALIZER;

/* Numbers display ids so that every bar of the process has its own. */
static atomic_long next_bar_id;

/* Seconds on the monotonic clock. */
static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Raises unless p is an open bar. */
static void check_open(const char *op, const Progress *p) {
    if (!p) t_raise(T_ERR_VALUE, "%s: expected a Progress (from progress_new), got NULL", op);
    if (p->closed) t_raise(T_ERR_VALUE, "%s: the progress bar \"%s\" is closed", op,
                           p->desc ? p->desc : "");
}

/* "mm:ss", or "h:mm:ss" past an hour, as tqdm writes durations. */
static const char *duration(double seconds) {
    long s = seconds > 0 && isfinite(seconds) ? (long)seconds : 0;
    if (s >= SEC_PER_HOUR)
        return t_gc_sprintf("%ld:%02ld:%02ld", s / SEC_PER_HOUR, s % SEC_PER_HOUR / SEC_PER_MIN,
                            s % SEC_PER_MIN);
    return t_gc_sprintf("%02ld:%02ld", s / SEC_PER_MIN, s % SEC_PER_MIN);
}

/* The counters after the bar: "45/100 [00:02<00:03, 18.00it/s, loss=0.1]". */
static const char *counters(const Progress *p, double elapsed) {
    double rate = elapsed > 0 ? p->count / elapsed : 0;
    TBuf b = {0};
    if (p->total > 0) t_buf_printf(&b, "%lld/%lld", (long long)p->count, (long long)p->total);
    else t_buf_printf(&b, "%lld%s", (long long)p->count, p->unit);
    t_buf_printf(&b, " [%s", duration(elapsed));
    if (p->total > 0) {
        double left = rate > 0 ? (p->total - p->count) / rate : 0;
        t_buf_printf(&b, "<%s", rate > 0 ? duration(left) : "?");
    }
    if (rate > 0 && rate < 1) t_buf_printf(&b, ", %.2fs/%s", 1 / rate, p->unit);
    else if (rate > 0) t_buf_printf(&b, ", %.2f%s/s", rate, p->unit);
    else t_buf_printf(&b, ", ?%s/s", p->unit);
    if (p->postfix) t_buf_printf(&b, ", %s", p->postfix);
    t_buf_puts(&b, "]");
    return b.data;
}

/* The fraction done, in [0, 1]. */
static double fraction(const Progress *p) {
    double f = p->total > 0 ? (double)p->count / (double)p->total : 0;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* The bar's text at time now. */
static const char *text_at(const Progress *p, double now) {
    TBuf b = {0};
    if (p->desc && p->desc[0]) t_buf_printf(&b, "%s: ", p->desc);
    if (p->total > 0) {
        double f = fraction(p);
        int eighths = (int)(f * BAR_CELLS * CELL_EIGHTHS);
        t_buf_printf(&b, "%3d%%|", (int)(f * 100));
        for (int i = 0; i < BAR_CELLS; i++) {
            int fill = eighths - i * CELL_EIGHTHS;
            t_buf_puts(&b, fill >= CELL_EIGHTHS ? FULL_BLOCK : fill > 0 ? BLOCKS[fill] : " ");
        }
        t_buf_puts(&b, "| ");
    }
    t_buf_puts(&b, counters(p, now - p->start));
    return b.data;
}

/* Appends text with HTML's special characters escaped. */
static void put_escaped(TBuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '&') t_buf_puts(b, "&amp;");
        else if (*s == '<') t_buf_puts(b, "&lt;");
        else if (*s == '>') t_buf_puts(b, "&gt;");
        else if (*s == '"') t_buf_puts(b, "&quot;");
        else t_buf_add(b, s, 1);
    }
}

/* The bar as HTML at time now: the label, a <progress> element and the counters. */
static const char *html_at(const Progress *p, double now) {
    TBuf b = {0};
    t_buf_puts(&b, "<div class=\"ctorch-progress\" style=\"font-family:monospace;"
                   "display:flex;align-items:center;gap:0.6em\">");
    if (p->desc && p->desc[0]) {
        t_buf_puts(&b, "<span>");
        put_escaped(&b, p->desc);
        t_buf_puts(&b, ":</span>");
    }
    if (p->total > 0) {
        t_buf_printf(&b, "<span>%3d%%</span><progress value=\"%lld\" max=\"%lld\" "
                     "style=\"width:%dpx\"></progress>", (int)(fraction(p) * 100),
                     (long long)(p->count < p->total ? p->count : p->total),
                     (long long)p->total, HTML_BAR_PX);
    }
    t_buf_puts(&b, "<span>");
    put_escaped(&b, counters(p, now - p->start));
    t_buf_puts(&b, "</span></div>");
    return b.data;
}

/* The bar's text now (or as last drawn, once closed). */
const char *progress_text(const Progress *p) {
    if (!p) t_raise(T_ERR_VALUE, "progress_text: expected a Progress, got NULL");
    return text_at(p, p->closed ? p->last_shown : now_seconds());
}

/* The bar's HTML now (or as last drawn, once closed). */
const char *progress_html(const Progress *p) {
    if (!p) t_raise(T_ERR_VALUE, "progress_html: expected a Progress, got NULL");
    return html_at(p, p->closed ? p->last_shown : now_seconds());
}

/* The id of the output the bar updates. */
const char *progress_display_id(const Progress *p) {
    if (!p) t_raise(T_ERR_VALUE, "progress_display_id: expected a Progress, got NULL");
    return p->display_id;
}

/* Draws the bar as it is now: a new output the first time, an update after; on stderr with
   no display hook. */
static void show(Progress *p, double now, bool first) {
    p->last_shown = now;
    p->last_count = p->count;
    p->changed = false;
    if (p->to_hook) {
        const char *text = text_at(p, now), *html = html_at(p, now);
        MimeBundle *b = t_bundle_text(text);
        mime_add(b, "text/html", html, strlen(html));
        t_display_publish(first ? DISPLAY_DATA : DISPLAY_UPDATE, b, p->display_id);
    } else {
        fprintf(stderr, "\r%s", text_at(p, now));
        fflush(stderr);
    }
}

/* A new bar, drawn at once at 0. */
Progress *progress_new_opts(int64_t total, ProgressOpts opts) {
    if (opts.min_interval < 0 || !isfinite(opts.min_interval))
        t_raise(T_ERR_VALUE, "progress_new: expected min_interval >= 0 seconds, got %g",
                opts.min_interval);
    Progress *p = t_gc_alloc(sizeof *p);
    p->total = total > 0 ? total : 0;
    p->desc = opts.desc ? t_gc_sprintf("%s", opts.desc) : NULL;
    p->unit = t_gc_sprintf("%s", opts.unit ? opts.unit : "it");
    p->min_interval = opts.min_interval ? opts.min_interval : DEFAULT_MIN_INTERVAL;
    p->to_hook = t_display_has_hook();
    p->display_id = t_gc_sprintf("ctorch-progress-%ld-%ld", (long)getpid(),
                                 (long)atomic_fetch_add(&next_bar_id, 1));
    p->start = now_seconds();
    p->owner = pthread_self();
    show(p, p->start, true);
    pthread_mutex_lock(&open_bars_lock);
    p->next_open = open_bars;
    open_bars = p;
    pthread_mutex_unlock(&open_bars_lock);
    return p;
}

/* Counts n more steps; redraws when the interval has passed or the total is reached. */
void progress_update(Progress *p, int64_t n) {
    check_open("progress_update", p);
    if (n < 0) t_raise(T_ERR_VALUE, "progress_update: expected steps >= 0, got %lld",
                       (long long)n);
    p->count += n;
    double now = now_seconds();
    bool done = p->total > 0 && p->count >= p->total && p->last_count < p->total;
    if (done || now - p->last_shown >= p->min_interval) show(p, now, false);
}

/* Sets the text after the counters (shown at the next redraw). */
void progress_set_postfix(Progress *p, const char *fmt, ...) {
    check_open("progress_set_postfix", p);
    if (!fmt) {
        p->postfix = NULL;
        p->changed = true;
        return;
    }
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        t_raise(T_ERR_VALUE, "progress_set_postfix: bad format \"%s\"", fmt);
    }
    char *s = t_gc_alloc_atomic((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    p->postfix = s;
    p->changed = true;
}

/* Sets the label before the bar (shown at the next redraw). */
void progress_set_description(Progress *p, const char *desc) {
    check_open("progress_set_description", p);
    p->desc = desc ? t_gc_sprintf("%s", desc) : NULL;
    p->changed = true;
}

/* Takes p off the list of open bars. */
static void forget_open(Progress *p) {
    pthread_mutex_lock(&open_bars_lock);
    for (Progress **at = &open_bars; *at; at = &(*at)->next_open) {
        if (*at == p) {
            *at = p->next_open;
            break;
        }
    }
    p->next_open = NULL;
    pthread_mutex_unlock(&open_bars_lock);
}

/* Ends the bar, drawing its final state if that is not shown yet. */
void progress_close(Progress *p) {
    check_open("progress_close", p);
    forget_open(p);
    p->closed = true;
    if (p->count != p->last_count || p->changed) show(p, now_seconds(), false); /* final state */
    if (!p->to_hook) {
        fputc('\n', stderr);
        fflush(stderr);
    }
}

/* The first open bar of this thread, or NULL. */
static Progress *first_open_here(void) {
    pthread_mutex_lock(&open_bars_lock);
    Progress *p = open_bars;
    while (p && !pthread_equal(p->owner, pthread_self())) p = p->next_open;
    pthread_mutex_unlock(&open_bars_lock);
    return p;
}

/* Closes every open bar of this thread. */
void progress_close_all(void) {
    for (Progress *p; (p = first_open_here());) progress_close(p);
}
