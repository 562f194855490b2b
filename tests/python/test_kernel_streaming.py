"""A cell's output reaches the notebook while the cell runs, line by line, not at its end."""
import time


def test_printf_lines_arrive_as_they_are_printed(ctorch_kernel):
    km, kc = ctorch_kernel
    kc.execute_interactive('#include <unistd.h>\n#include "ctorch.h"', timeout=30)
    start = time.monotonic()
    arrivals = []

    def on_output(msg):
        if msg["msg_type"] == "stream":
            arrivals.append((time.monotonic() - start, msg["content"]["text"]))

    kc.execute_interactive(
        'for (int i = 0; i < 3; i++) { printf("tick %d\\n", i); usleep(400000); }',
        output_hook=on_output, timeout=30)
    assert "".join(text for _, text in arrivals) == "tick 0\ntick 1\ntick 2\n"
    # the first line came while the cell still had most of its 1.2 s to run
    assert arrivals[0][0] < 0.8, arrivals
