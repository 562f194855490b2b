/* device.c — which backend serves a device, and device storage. The CUDA backend registers
   itself here when libctorch-cuda.so is loaded (cuda_loader.c); without it, CUDA tensors
   raise DeviceError. Device memory is invisible to the collector: each buffer is owned by its
   Storage, a collected object whose finalizer hands the buffer back to the backend's cache. */
#include "backend.h"

static const Backend *cuda_backend;

void t_register_cuda_backend(const Backend *b) { cuda_backend = b; }

const char *t_device_name(Device device) {
    if (device == T_CPU) return "cpu";
    return t_gc_sprintf("cuda:%d", device - T_CUDA);
}

/* Raises DeviceError for a CUDA device requested on a machine where CUDA cannot be used. */
static void no_cuda(Device device) {
    t_raise(T_ERR_DEVICE, "%s was requested, but CUDA is not available on this machine "
            "(cuda_is_available() is false: %s)", t_device_name(device),
            t_cuda_unavailable_reason());
}

const Backend *t_backend_other(Device device) {
    if (device < T_CPU) t_raise(T_ERR_VALUE, "invalid device %d", device);
    if (!cuda_backend) {
        t_cuda_try_load();
        if (!cuda_backend) no_cuda(device);
    }
    return cuda_backend;
}

/* The collector's finalizer for a device storage: returns its buffer unless t_free did. */
static void storage_finalizer(void *obj, void *ctx) {
    (void)ctx;
    Storage *s = obj;
    if (s->data && s->owner) cuda_backend->free(s->owner);
    s->data = NULL;
    s->owner = NULL;
}

Storage *t_device_storage_new(size_t nbytes, Device device) {
    const Backend *b = t_backend(device);
    Storage *s = t_gc_alloc(sizeof *s);
    void *owner = NULL;
    s->data = b->alloc(nbytes, device, &owner);
    s->owner = owner;
    s->nbytes = nbytes;
    s->device = device;
    GC_register_finalizer(s, storage_finalizer, NULL, NULL, NULL);
    return s;
}

void t_device_storage_free(Storage *s) {
    if (!s->owner) return;
    t_backend(s->device)->free(s->owner);
    s->owner = NULL;
}
