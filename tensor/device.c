/* device.c — which backend serves a device, and device storage. The CUDA backend registers
   itself here when libctorch-cuda.so is loaded; without it, CUDA tensors raise DeviceError. */
#include "backend.h"

static const Backend *cuda_backend;

/* Installs the backend that serves CUDA devices (called by the CUDA backend's loader). */
void t_register_cuda_backend(const Backend *b) { cuda_backend = b; }

const char *t_device_name(Device device) {
    if (device == T_CPU) return "cpu";
    return t_gc_sprintf("cuda:%d", device - T_CUDA);
}

static void no_cuda(Device device) {
    t_raise(T_ERR_DEVICE, "%s was requested, but CUDA is not available on this machine "
            "(cuda_is_available() is false)", t_device_name(device));
}

const Backend *t_backend(Device device) {
    if (device == T_CPU) return &t_cpu_backend;
    if (!cuda_backend) no_cuda(device);
    return cuda_backend;
}

Storage *t_device_storage_new(size_t nbytes, Device device) {
    (void)nbytes;
    no_cuda(device);
    return NULL;
}

void t_device_storage_free(Storage *s) { no_cuda(s->device); }
