/* iopub.c — broadcasts on the iopub socket, serialized across the threads that publish. */
#include "kernel.h"

void iopub_send(Kernel *k, const WireMsg *parent, const char *msg_type, json_t *content) {
    pthread_mutex_lock(&k->iopub_lock);
    if (k->sock[CONN_IOPUB]) kernel_send(k, k->sock[CONN_IOPUB], parent, msg_type, content);
    else json_decref(content);
    pthread_mutex_unlock(&k->iopub_lock);
}

void iopub_status(Kernel *k, const WireMsg *parent, const char *state) {
    iopub_send(k, parent, "status", json_pack("{s:s}", "execution_state", state));
}
