"""Rich output through the display hook: display ids and updates, binary data in base64,
metadata, JSON types, clear_output(wait), and execute_result numbering."""
import base64

from test_kernel_extra import run


def outputs(msgs, msg_type):
    return [m["content"] for m in msgs if m["msg_type"] == msg_type]


def test_display_then_update_by_display_id(ctorch_kernel):
    km, kc = ctorch_kernel
    code = ('t_display_publish(DISPLAY_DATA, t_bundle_text("step 1"), "progress");\n'
            't_display_publish(DISPLAY_UPDATE, t_bundle_text("step 2"), "progress");')
    reply, msgs = run(kc, code)
    assert reply["content"]["status"] == "ok"
    shown = outputs(msgs, "display_data")
    updated = outputs(msgs, "update_display_data")
    assert [(d["data"]["text/plain"], d["transient"]) for d in shown] == \
        [("step 1", {"display_id": "progress"})]
    assert [(d["data"]["text/plain"], d["transient"]) for d in updated] == \
        [("step 2", {"display_id": "progress"})]


def test_image_data_is_base64_and_metadata_is_kept(ctorch_kernel):
    km, kc = ctorch_kernel
    code = ('MimeBundle *b = mime_new();\n'
            'mime_add(b, "image/png", "\\x89PNG\\r\\n\\x1a\\n\\0\\1", 10);\n'
            'mime_add(b, "text/plain", "<a picture>", 11);\n'
            'mime_add(b, "application/json", "{\\"a\\": [1, 2]}", 13);\n'
            'b->metadata = "{\\"image/png\\": {\\"width\\": 10}}";\n'
            't_display_publish(DISPLAY_DATA, b, NULL);')
    reply, msgs = run(kc, code)
    assert reply["content"]["status"] == "ok", reply["content"]
    [shown] = outputs(msgs, "display_data")
    assert base64.b64decode(shown["data"]["image/png"]) == b"\x89PNG\r\n\x1a\n\x00\x01"
    assert shown["data"]["text/plain"] == "<a picture>"
    assert shown["data"]["application/json"] == {"a": [1, 2]}
    assert shown["metadata"] == {"image/png": {"width": 10}}
    assert "transient" not in shown


def test_clear_output_wait_flag(ctorch_kernel):
    km, kc = ctorch_kernel
    reply, msgs = run(kc, "t_clear_output(true);\nt_clear_output(false);")
    assert [c["wait"] for c in outputs(msgs, "clear_output")] == [True, False]


def test_execute_result_carries_the_execution_count(ctorch_kernel):
    km, kc = ctorch_kernel
    run(kc, "int a = 1;")
    reply, msgs = run(kc, "a + 1")
    [result] = outputs(msgs, "execute_result")
    assert result["execution_count"] == reply["content"]["execution_count"] == 2
    assert result["data"]["text/plain"] == "2"


def test_a_burst_of_updates_loses_nothing(ctorch_kernel):
    # Far more messages than ZeroMQ's default high-water mark (1000) in a few milliseconds:
    # every update, and the idle status after them, must reach the client.
    km, kc = ctorch_kernel
    n = 20000
    code = ('t_display_publish(DISPLAY_DATA, t_bundle_text("0"), "burst");\n'
            f'for (int i = 1; i <= {n}; i++) t_display_publish(DISPLAY_UPDATE, t_bundle_i64(i), "burst");')
    reply, msgs = run(kc, code)
    assert reply["content"]["status"] == "ok"
    updates = outputs(msgs, "update_display_data")
    assert [u["data"]["text/plain"] for u in updates] == [str(i) for i in range(1, n + 1)]
