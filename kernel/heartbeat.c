/* heartbeat.c — the heartbeat thread: every ping comes straight back, so a front end can tell
   the process is alive even while a long cell runs. */
#include <errno.h>

#include <zmq.h>

#include "kernel.h"

void *heartbeat_main(void *kernel) {
    Kernel *k = kernel;
    void *hb = k->sock[CONN_HB];
    /* A ROUTER proxied to itself echoes each message to its sender, as ipykernel does. */
    while (zmq_proxy(hb, hb, NULL) < 0 && errno == EINTR) {}
    zmq_close(hb);
    return NULL;
}
