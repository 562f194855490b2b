/* test_progress.c — progress bars: the first display and its updates through the hook (same
   display id, throttled), the text and HTML they show, and the stderr bar without a hook. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "plot.h"

/* What the hook saw: how many displays and updates, the ids, and the last bundle. */
typedef struct Seen {
    int data, updates, other;
    bool same_id;
    char first_id[128];
    const MimeBundle *last;
} Seen;

static Seen seen;

/* Records a published bar. */
static void record_hook(void *ctx, DisplayKind kind, const MimeBundle *b, const char *id) {
    (void)ctx;
    if (kind == DISPLAY_DATA && seen.data++ == 0) {
        snprintf(seen.first_id, sizeof seen.first_id, "%s", id ? id : "");
        seen.same_id = id != NULL;
    } else if (kind == DISPLAY_UPDATE) {
        seen.updates++;
        seen.same_id = seen.same_id && id && strcmp(id, seen.first_id) == 0;
    } else {
        seen.other++;
    }
    seen.last = b;
}

/* Starts recording with a fresh count. */
static void start_recording(void) {
    memset(&seen, 0, sizeof seen);
    t_display_set_hook(record_hook, NULL);
}

/* Seconds on the monotonic clock. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

Test(progress, tight_loop_is_throttled) {
    start_recording();
    enum { STEPS = 200000 };
    double t0 = now_s();
    Progress *p = progress_new(STEPS, .desc = "tight");
    cr_assert_eq(seen.data, 1);
    cr_assert_eq(seen.updates, 0);
    for (int i = 0; i < STEPS; i++) {
        progress_update(p, 1);
        if (i % 1000 == 0) progress_set_postfix(p, "i=%d", i);
    }
    progress_close(p);
    double elapsed = now_s() - t0;
    /* one update per 0.1 s at most, plus the one at the total */
    int allowed = (int)(elapsed / 0.1) + 1;
    cr_assert_leq(seen.updates, allowed, "%d updates in %.3f s", seen.updates, elapsed);
    cr_assert_geq(seen.updates, 1); /* the final state is always shown */
    cr_assert_eq(seen.data, 1);
    cr_assert_eq(seen.other, 0);
    cr_assert(seen.same_id, "updates must carry the first display's id");
    cr_assert_str_eq(seen.first_id, progress_display_id(p));
    const char *text = mime_get(seen.last, "text/plain", NULL);
    cr_assert(strstr(text, "tight: 100%|") == text, "%s", text);
    cr_assert(strstr(text, "| 200000/200000 ["), "%s", text);
    cr_assert(strstr(text, ", i=199000]"), "%s", text);
    const char *html = mime_get(seen.last, "text/html", NULL);
    cr_assert(strstr(html, "<progress value=\"200000\" max=\"200000\""), "%s", html);
    t_display_set_hook(NULL, NULL);
}

Test(progress, updates_follow_min_interval) {
    start_recording();
    enum { STEPS = 50, SLEEP_US = 5000 };
    Progress *p = progress_new(STEPS, .min_interval = 0.02);
    for (int i = 0; i < STEPS; i++) {
        usleep(SLEEP_US);
        progress_update(p, 1);
    }
    /* every step takes 5 ms or more, so a redraw comes at least every 4 steps (about 12),
       and never more than one per step */
    cr_assert_geq(seen.updates, 10, "%d updates", seen.updates);
    cr_assert_leq(seen.updates, STEPS, "%d updates", seen.updates);
    t_display_set_hook(NULL, NULL);
}

Test(progress, text_and_html_show_the_state) {
    start_recording();
    Progress *p = progress_new(100, .desc = "epoch <1>");
    progress_update(p, 45);
    progress_set_postfix(p, "loss=%.3f", 0.1234);
    const char *text = progress_text(p);
    cr_assert(strstr(text, "epoch <1>:  45%|") == text, "%s", text);
    /* 45% of 20 cells: 9 full blocks, then 11 blank cells */
    char bar[64] = "";
    for (int i = 0; i < 9; i++) strcat(bar, "\xe2\x96\x88");
    strcat(bar, "           | 45/100 [");
    cr_assert(strstr(text, bar), "%s", text);
    cr_assert(strstr(text, "it/s, loss=0.123]"), "%s", text);
    const char *html = progress_html(p);
    cr_assert(strstr(html, "epoch &lt;1&gt;:"), "%s", html);
    cr_assert(strstr(html, "<progress value=\"45\" max=\"100\""), "%s", html);
    cr_assert(strstr(html, "loss=0.123]</span></div>"), "%s", html);
    progress_set_description(p, "epoch 2");
    const char *renamed = progress_text(p);
    cr_assert(strncmp(renamed, "epoch 2:  45%|", 14) == 0, "%s", renamed);
    t_display_set_hook(NULL, NULL);
}

Test(progress, unknown_total_counts_without_a_bar) {
    start_recording();
    Progress *p = progress_new(0, .unit = "batch");
    progress_update(p, 5);
    const char *text = progress_text(p);
    cr_assert(strncmp(text, "5batch [00:00, ", 15) == 0, "%s", text);
    cr_assert_null(strchr(text, '%'));
    cr_assert_null(strstr(progress_html(p), "<progress"));
    t_display_set_hook(NULL, NULL);
}

Test(progress, display_ids_are_unique) {
    start_recording();
    Progress *a = progress_new(3), *b = progress_new(3);
    cr_assert_str_neq(progress_display_id(a), progress_display_id(b));
    t_display_set_hook(NULL, NULL);
}

Test(progress, misuse_raises) {
    start_recording();
    Progress *p = progress_new(3);
    T_ASSERT_RAISES(T_ERR_VALUE, progress_update(p, -1), "progress_update", "-1");
    progress_close(p);
    T_ASSERT_RAISES(T_ERR_VALUE, progress_update(p, 1), "closed");
    T_ASSERT_RAISES(T_ERR_VALUE, progress_close(p), "closed");
    T_ASSERT_RAISES(T_ERR_VALUE, progress_update(NULL, 1), "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, progress_new(3, .min_interval = -1), "min_interval");
    t_display_set_hook(NULL, NULL);
}

Test(progress, without_a_hook_draws_on_stderr) {
    t_display_set_hook(NULL, NULL);
    FILE *capture = tmpfile();
    cr_assert_not_null(capture);
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(capture), 2);
    Progress *p = progress_new(3, .desc = "io");
    for (int i = 0; i < 3; i++) progress_update(p, 1);
    progress_close(p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char out[4096] = "";
    rewind(capture);
    size_t n = fread(out, 1, sizeof out - 1, capture);
    out[n] = '\0';
    fclose(capture);
    cr_assert(strncmp(out, "\rio:   0%|", 10) == 0, "%s", out);
    cr_assert(strstr(out, "\rio: 100%|"), "%s", out);
    cr_assert(strstr(out, "| 3/3 ["), "%s", out);
    cr_assert_eq(strchr(out, '\n'), out + n - 1, "one line, ended at close: %s", out);
}

Test(progress, close_all_closes_this_threads_open_bars) {
    start_recording();
    Progress *a = progress_new(10, .min_interval = 100), *b = progress_new(10),
             *done = progress_new(1);
    progress_update(a, 3); /* not drawn yet: the interval has not passed */
    progress_close(done);
    int before = seen.updates;
    progress_close_all();
    /* a's final state; b has nothing new to show, and done was closed already */
    cr_assert_eq(seen.updates, before + 1);
    T_ASSERT_RAISES(T_ERR_VALUE, progress_update(a, 1), "closed");
    T_ASSERT_RAISES(T_ERR_VALUE, progress_update(b, 1), "closed");
    progress_close_all(); /* nothing left: no more updates */
    cr_assert_eq(seen.updates, before + 1);
    t_display_set_hook(NULL, NULL);
}

Test(progress, reset_thread_state_closes_open_bars) {
    start_recording();
    Progress *p = progress_new(10, .min_interval = 100);
    progress_update(p, 4);
    t_reset_thread_state();
    cr_assert_eq(seen.updates, 1);
    cr_assert(strstr(mime_get(seen.last, "text/plain", NULL), "| 4/10 ["));
    T_ASSERT_RAISES(T_ERR_VALUE, progress_update(p, 1), "closed");
    t_display_set_hook(NULL, NULL);
}
