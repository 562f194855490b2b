"""What jupyter_kernel_test leaves out: interrupt, shutdown and restart, stdin, aborting after
an error, execution counts, and messages that must be dropped without harming the kernel."""
import json
import signal
import time
import uuid
from queue import Empty

import pytest
from jupyter_client.session import Session

TIMEOUT = 30


def reply_to(kc, msg_id, timeout=TIMEOUT):
    """The shell reply whose parent is msg_id (earlier replies are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def iopub_until_idle(kc, msg_id, timeout=TIMEOUT):
    """The iopub messages of one request, up to its idle status."""
    msgs = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return msgs


def run(kc, code, **kw):
    """Executes code and returns (reply, iopub messages up to idle)."""
    msg_id = kc.execute(code, **kw)
    reply = reply_to(kc, msg_id)
    return reply, iopub_until_idle(kc, msg_id)


def result_text(msgs):
    """The text/plain of the execute_result among msgs, or None."""
    for m in msgs:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"]["text/plain"]
    return None


def stdout_text(msgs):
    return "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def test_interrupt_stops_an_endless_loop_and_keeps_state(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, _ = run(kc, "int kept = 5;")
    assert reply["content"]["status"] == "ok"
    loop_id = kc.execute("while (1);")
    time.sleep(1.0)
    with pytest.raises(Empty):
        kc.get_shell_msg(timeout=0.2)  # the loop is still running
    km.interrupt_kernel()
    reply = reply_to(kc, loop_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    reply, msgs = run(kc, "kept * 2")
    assert reply["content"]["status"] == "ok"
    assert result_text(msgs) == "10"


def test_sigint_interrupts_too(ctorch_kernel):
    km, kc = ctorch_kernel
    loop_id = kc.execute("for (;;) {}")
    time.sleep(1.0)
    km.signal_kernel(signal.SIGINT)
    reply = reply_to(kc, loop_id)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert km.is_alive()
    reply, msgs = run(kc, "2 * 21")
    assert result_text(msgs) == "42"


def test_interrupt_reply_comes_on_control(ctorch_kernel):
    km, kc = ctorch_kernel
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    reply = kc.control_channel.get_msg(timeout=TIMEOUT)
    assert reply["header"]["msg_type"] == "interrupt_reply"
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert reply["content"]["status"] == "ok"
    reply, msgs = run(kc, "1 + 1")
    assert result_text(msgs) == "2"


def test_shutdown_while_a_cell_runs_ends_the_process(ctorch_kernel):
    km, kc = ctorch_kernel
    kc.execute("while (1);")
    time.sleep(0.5)
    msg = kc.session.msg("shutdown_request", {"restart": False})
    kc.control_channel.send(msg)
    reply = kc.control_channel.get_msg(timeout=TIMEOUT)
    assert reply["header"]["msg_type"] == "shutdown_reply"
    assert reply["content"] == {"status": "ok", "restart": False}
    deadline = time.monotonic() + 10
    while km.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not km.is_alive()
    assert km.provisioner.process.returncode == 0


def test_restart_gives_a_fresh_kernel(ctorch_kernel):
    km, kc = ctorch_kernel
    run(kc, "int before_restart = 1;")
    old_pid = km.provisioner.process.pid
    km.restart_kernel(now=False)
    assert km.provisioner.process.pid != old_pid
    assert km.provisioner.process.returncode is None
    kc.wait_for_ready(timeout=TIMEOUT)
    reply, msgs = run(kc, "before_restart")
    assert reply["content"]["status"] == "error"
    reply, msgs = run(kc, "3 * 3")
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 2
    assert result_text(msgs) == "9"


def test_input_request_round_trip(ctorch_kernel):
    km, kc = ctorch_kernel
    code = 'char name[64]; scanf("%63s", name); printf("hello %s!\\n", name);'
    msg_id = kc.execute(code, allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    assert req["header"]["msg_type"] == "input_request"
    assert req["parent_header"]["msg_id"] == msg_id
    assert req["content"]["password"] is False
    kc.input("ctorch")
    reply = reply_to(kc, msg_id)
    assert reply["content"]["status"] == "ok"
    assert stdout_text(iopub_until_idle(kc, msg_id)) == "hello ctorch!\n"


def test_input_without_allow_stdin_raises(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "char s[8]; fgets(s, sizeof s, stdin);", allow_stdin=False)
    assert reply["content"]["status"] == "error"
    with pytest.raises(Empty):
        kc.get_stdin_msg(timeout=0.2)


def test_stop_on_error_aborts_queued_cells(ctorch_kernel):
    km, kc = ctorch_kernel
    # The failing cell runs a while first, so the cells sent behind it are queued by then.
    slow_failure = ('for (volatile long i = 0; i < 100000000; i++) {}\n'
                    't_raise(T_ERR_VALUE, "first cell fails");')
    ids = [kc.execute(slow_failure),
           kc.execute("1 + 1"), kc.execute("2 + 2")]
    statuses = [reply_to(kc, i)["content"]["status"] for i in ids]
    assert statuses == ["error", "aborted", "aborted"]
    reply, msgs = run(kc, "5 + 5")
    assert reply["content"]["status"] == "ok"
    assert result_text(msgs) == "10"


def test_stop_on_error_false_runs_queued_cells(ctorch_kernel):
    km, kc = ctorch_kernel
    ids = [kc.execute('t_raise(T_ERR_VALUE, "fails");', stop_on_error=False),
           kc.execute("1 + 1")]
    statuses = [reply_to(kc, i)["content"]["status"] for i in ids]
    assert statuses == ["error", "ok"]


def test_execution_count_follows_silent_and_store_history(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "1")
    assert reply["content"]["execution_count"] == 1
    inputs = [m for m in msgs if m["msg_type"] == "execute_input"]
    assert [m["content"]["execution_count"] for m in inputs] == [1]
    reply, msgs = run(kc, "2", silent=True)
    assert reply["content"]["execution_count"] == 1
    assert not [m for m in msgs if m["msg_type"] in ("execute_input", "execute_result")]
    reply, msgs = run(kc, "3", store_history=False)
    assert reply["content"]["execution_count"] == 1
    reply, msgs = run(kc, "4")
    assert reply["content"]["execution_count"] == 2
    assert [m["content"]["execution_count"] for m in msgs if m["msg_type"] == "execute_result"] == [2]
    hist = reply_to(kc, kc.history(hist_access_type="tail", n=10, output=True))
    assert [(h[1], h[2][0], h[2][1]) for h in hist["content"]["history"]] == [(1, "1", "1"), (2, "4", "4")]


def test_status_busy_then_idle_around_every_request(ctorch_kernel):
    km, kc = ctorch_kernel
    msg_id = kc.kernel_info()
    reply = reply_to(kc, msg_id)
    assert reply["content"]["implementation"] == "ctorch"
    assert reply["content"]["language_info"]["mimetype"] == "text/x-csrc"
    states = [m["content"]["execution_state"] for m in iopub_until_idle(kc, msg_id)
              if m["msg_type"] == "status"]
    assert states == ["busy", "idle"]


def test_comm_info_is_empty(ctorch_kernel):
    km, kc = ctorch_kernel
    reply = reply_to(kc, kc.comm_info())
    assert reply["content"] == {"status": "ok", "comms": {}}


def test_heartbeat_echoes(ctorch_kernel):
    km, kc = ctorch_kernel
    hb = kc.hb_channel
    time.sleep(1.0)
    assert hb.is_beating()


def send_raw(kc, frames):
    """Sends raw frames on the client's shell socket, bypassing its signing."""
    kc.shell_channel.socket.send_multipart(frames)


def signed_frames(key, parts):
    session = Session(key=key)
    return [b"<IDS|MSG>", session.sign(parts)] + parts


def request_parts(msg_type, content):
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": "raw",
              "username": "test", "date": "2024-01-01T00:00:00Z", "version": "5.3"}
    return [json.dumps(header).encode(), b"{}", b"{}", json.dumps(content).encode()], header


def assert_still_answering(kc):
    """The next shell reply answers a fresh kernel_info_request: nothing was answered before."""
    msg_id = kc.kernel_info()
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "ok"


def test_bad_signature_is_dropped(ctorch_kernel):
    km, kc = ctorch_kernel
    parts, _ = request_parts("execute_request", {"code": "1 + 1", "silent": False})
    frames = signed_frames(kc.session.key, parts)
    frames[1] = b"0" * len(frames[1])
    send_raw(kc, frames)
    frames = signed_frames(b"not-the-key", parts)
    send_raw(kc, frames)
    assert_still_answering(kc)
    assert km.is_alive()


def test_malformed_json_is_dropped(ctorch_kernel):
    km, kc = ctorch_kernel
    parts, _ = request_parts("execute_request", {"code": "1 + 1"})
    parts[3] = b'{"code": "1 + 1", '  # cut short
    send_raw(kc, signed_frames(kc.session.key, parts))
    parts, _ = request_parts("execute_request", {"code": "1 + 1"})
    parts[0] = b"[1, 2, 3]"  # a header that is not an object
    send_raw(kc, signed_frames(kc.session.key, parts))
    send_raw(kc, [b"<IDS|MSG>", b"too few frames"])
    send_raw(kc, [b"no delimiter at all"])
    assert_still_answering(kc)
    reply, msgs = run(kc, "20 + 22")
    assert result_text(msgs) == "42"


def test_nbclient_runs_a_notebook(ctorch_kernelspec):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("Tensor *x = t_ones(2, 2);"),
                nbformat.v4.new_code_cell('printf("sum %g\\n", t_item(t_sum(x)));'),
                nbformat.v4.new_code_cell("t_numel(x)")]
    NotebookClient(nb, kernel_name="ctorch", timeout=TIMEOUT).execute()
    assert nb.cells[1].outputs[0]["text"] == "sum 4\n"
    assert nb.cells[2].outputs[0]["data"]["text/plain"] == "4"
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]


def test_kernel_info_on_control(ctorch_kernel):
    km, kc = ctorch_kernel
    msg = kc.session.msg("kernel_info_request", {})
    kc.control_channel.send(msg)
    reply = kc.control_channel.get_msg(timeout=TIMEOUT)
    assert reply["header"]["msg_type"] == "kernel_info_reply"
    assert reply["content"]["language_info"]["name"] == "c"
    assert reply["content"]["protocol_version"] == "5.3"


def test_ipc_transport(ctorch_kernelspec, tmp_path):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="ctorch", transport="ipc", ip=str(tmp_path / "k"))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        reply, msgs = run(kc, "40 + 2")
        assert result_text(msgs) == "42"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_help_for_an_unknown_name(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "?no_such_function")
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["payload"] == []
    assert stdout_text(msgs) == "Object `no_such_function` not found.\n"
