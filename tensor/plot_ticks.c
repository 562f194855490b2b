/*
 * plot_ticks.c — the numbers on a plot's axes: view ranges with matplotlib's margins, "nice"
 * tick positions (1, 2 or 5 times a power of ten), their labels, and the colour cycle.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* The tick steps per decade, as the 1-2-5 series. */
static const double NICE_STEPS[] = {1, 2, 5, 10};
/* Slack when comparing tick positions with the range ends, as a fraction of a step, so that
   rounding does not drop a tick that lies on an end. */
static const double TICK_SLACK = 1e-9;
/* Axes whose ticks reach these magnitudes are labelled in units of a power of ten, shown once
   beside the axis (matplotlib's limits are 1e-5 and 1e8; narrow labels read better). */
static const double SCI_ABOVE = 1e6, SCI_BELOW = 1e-4;
/* Unicode MINUS SIGN, as matplotlib writes negative tick labels. */
static const char MINUS_SIGN[] = "\xe2\x88\x92";
/* Most decimals a tick label carries. */
enum { MAX_DECIMALS = 15 };
/* How an empty data range (one value) is widened: by this fraction of the value, or by
   EMPTY_RANGE_ABS around zero. */
static const double EMPTY_RANGE_REL = 0.05, EMPTY_RANGE_ABS = 0.5;

/* matplotlib's tab10: the colours of successive series. */
static const unsigned TAB10[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
enum { NCYCLE = sizeof TAB10 / sizeof TAB10[0] };

/* The data range widened by matplotlib's margins. */
void t_plot_view_range(double *lo, double *hi, double margin) {
    if (*lo == *hi) {
        double d = *lo != 0 ? fabs(*lo) * EMPTY_RANGE_REL : EMPTY_RANGE_ABS;
        *lo -= d;
        *hi += d;
        return;
    }
    double span = *hi - *lo;
    *lo -= span * margin;
    *hi += span * margin;
}

/* How many multiples of step lie in [lo, hi]. */
static int ticks_in(double lo, double hi, double step) {
    return (int)(floor(hi / step + TICK_SLACK) - ceil(lo / step - TICK_SLACK)) + 1;
}

/* Tick positions at a 1-2-5 step. */
int t_plot_ticks(double lo, double hi, int target, double *ticks, double *step) {
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi) || target < 1) {
        *step = 1;
        return 0;
    }
    /* the finest 1-2-5 step that gives at most target + 1 ticks, starting a decade below
       the step that would give exactly target intervals */
    double decade = pow(10, floor(log10((hi - lo) / target)) - 1);
    size_t nsteps = sizeof NICE_STEPS / sizeof NICE_STEPS[0];
    double s = decade;
    for (int d = 0; d < 3; d++, decade *= 10) { /* three decades always reach a fit */
        size_t i = 0;
        while (i < nsteps && ticks_in(lo, hi, decade * NICE_STEPS[i]) > target + 1) i++;
        if (i < nsteps) {
            s = decade * NICE_STEPS[i];
            break;
        }
    }
    double first = ceil(lo / s - TICK_SLACK);
    int n = 0;
    for (double k = first; n < PLOT_MAX_TICKS; k++) {
        double v = k * s;
        if (v > hi + s * TICK_SLACK) break;
        ticks[n++] = fabs(v) < s * TICK_SLACK ? 0.0 : v; /* no "-0" */
    }
    *step = s;
    return n;
}

/* Replaces a leading '-' with the Unicode minus sign. */
static const char *with_minus_sign(const char *s) {
    return s[0] == '-' ? t_gc_sprintf("%s%s", MINUS_SIGN, s + 1) : s;
}

/* The power of ten an axis is labelled in, or 0. */
int t_plot_axis_exponent(const double *ticks, int n) {
    double mag = 0;
    for (int i = 0; i < n; i++) mag = fabs(ticks[i]) > mag ? fabs(ticks[i]) : mag;
    if (mag >= SCI_ABOVE || (mag > 0 && mag < SCI_BELOW)) return (int)floor(log10(mag));
    return 0;
}

/* The "1e6" text of an axis's power of ten. */
const char *t_plot_exponent_label(int exponent) {
    return t_gc_sprintf("1e%s%d", exponent < 0 ? MINUS_SIGN : "", abs(exponent));
}

/* A tick's label, with the decimals its step needs. */
const char *t_plot_tick_label(double v, double step) {
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - TICK_SLACK);
    if (decimals > MAX_DECIMALS) decimals = MAX_DECIMALS;
    if (fabs(v) < step * TICK_SLACK) v = 0;
    return with_minus_sign(t_gc_sprintf("%.*f", decimals, v));
}

/* Colour i of tab10, cycling. */
PlotColor t_plot_cycle_color(int i) {
    unsigned c = TAB10[(unsigned)i % NCYCLE];
    return (PlotColor){(c >> 16 & 0xff) / 255.0, (c >> 8 & 0xff) / 255.0, (c & 0xff) / 255.0};
}

/* The value of one hexadecimal digit, or -1. */
static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A colour given by name in the options. */
PlotColor t_plot_parse_color(const char *op, const char *spec) {
    if (spec && spec[0] == 'C' && spec[1] >= '0' && spec[1] <= '9' && !spec[2])
        return t_plot_cycle_color(spec[1] - '0');
    enum { HEX_LEN = 7 }; /* "#rrggbb" */
    if (spec && spec[0] == '#' && strlen(spec) == HEX_LEN) {
        int v[6];
        bool ok = true;
        for (int i = 0; i < 6; i++) ok = ok && (v[i] = hex_digit(spec[1 + i])) >= 0;
        if (ok)
            return (PlotColor){(v[0] * 16 + v[1]) / 255.0, (v[2] * 16 + v[3]) / 255.0,
                               (v[4] * 16 + v[5]) / 255.0};
    }
    t_raise(T_ERR_VALUE, "%s: expected a colour \"#rrggbb\" or \"C0\"..\"C9\", got \"%s\"", op,
            spec ? spec : "(null)");
    return (PlotColor){0, 0, 0};
}
