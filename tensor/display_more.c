/*
 * display_more.c — display bundles for the handles of optim, data and nn that a cell's last
 * expression may be: one readable line each, or a module's tree for any pointer to a module.
 */
#include <inttypes.h>

#include "internal.h"
#include "data_internal.h"

MimeBundle *t_bundle_optimizer(const Optimizer *o) {
    if (!o) return t_bundle_ptr(o);
    return t_bundle_text(t_gc_sprintf("Optimizer(lr=%g, steps=%" PRId64 ")", opt_get_lr(o),
                                      opt_steps(o)));
}

/* "s" after a count other than one. */
static const char *plural(int64_t n) { return n == 1 ? "" : "s"; }

MimeBundle *t_bundle_dataset(const Dataset *ds) {
    if (!ds) return t_bundle_ptr(ds);
    const char *classes = ds->nclasses ? t_gc_sprintf(", %d class%s", ds->nclasses,
                                                      ds->nclasses == 1 ? "" : "es")
                                       : "";
    const char *transforms = ds->ntransforms ? t_gc_sprintf(", %d transform%s",
                                                            ds->ntransforms,
                                                            plural(ds->ntransforms))
                                             : "";
    return t_bundle_text(t_gc_sprintf("Dataset(%" PRId64 " item%s%s%s)", ds->n, plural(ds->n),
                                      classes, transforms));
}

MimeBundle *t_bundle_loader(const DataLoader *l) {
    if (!l) return t_bundle_ptr(l);
    int64_t n = data_loader_len(l);
    return t_bundle_text(t_gc_sprintf("DataLoader(%" PRId64 " batch%s per epoch)", n,
                                      n == 1 ? "" : "es"));
}

MimeBundle *t_bundle_pointer(const void *p) {
    return nn_is_module(p) ? t_bundle_module(p) : t_bundle_ptr(p);
}
