/*
 * ctorch_display.h — display bundles for the handle types of nn, optim, data and plot (part of
 * ctorch.h, included at its end): what a notebook shows when a cell's last expression is an
 * Optimizer *, a Dataset *, a DataLoader *, a Plot * or a pointer to a module.
 */
#ifndef CTORCH_DISPLAY_H
#define CTORCH_DISPLAY_H

/* "Optimizer(lr=0.5, steps=10)": the learning rate now and the steps taken. */
MimeBundle *t_bundle_optimizer(const Optimizer *o);
/* "Dataset(60000 items, 10 classes, 1 transform)". */
MimeBundle *t_bundle_dataset(const Dataset *ds);
/* "DataLoader(938 batches per epoch)". */
MimeBundle *t_bundle_loader(const DataLoader *l);
/* Any pointer: the module tree when p points to a module (a Net * made by NN_NEW, whatever
   its struct), otherwise the address as t_bundle_ptr shows it. */
MimeBundle *t_bundle_pointer(const void *p);

#endif /* CTORCH_DISPLAY_H */
