"""The terminal REPL driven through a pipe: cells in on stdin, results, output and errors out,
with the same semantics as the notebook kernel."""
import subprocess

from conftest import CTORCH_BIN

TIMEOUT = 60


def repl(cells):
    """Runs `ctorch` with cells piped to stdin; returns the finished process."""
    return subprocess.run([str(CTORCH_BIN)], input=cells, capture_output=True, text=True,
                          timeout=TIMEOUT)


def test_results_print_as_text():
    p = repl("int x = 20;\nx + 22\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["42"]


def test_multi_line_cell_is_read_until_complete():
    p = repl("int twice(int a) {\n    return 2 * a;\n}\ntwice(21)\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["42"]


def test_stream_output_and_display():
    p = repl('printf("hi there\\n");\ndisplay(t_ones(2));\n')
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["hi there", "tensor([1., 1.])"]


def test_error_is_printed_and_later_cells_run():
    p = repl('t_raise(T_ERR_VALUE, "a bad value");\n1 + 1\n')
    assert p.returncode == 1
    assert "ValueError" in p.stderr and "a bad value" in p.stderr
    assert p.stdout.splitlines() == ["2"]


def test_help_query_prints_the_doc_comment():
    p = repl("?t_matmul\n")
    assert p.returncode == 0, p.stderr
    assert "t_matmul" in p.stdout and "Matrix product" in p.stdout


def test_cell_reads_the_following_input_line():
    p = repl('int n; scanf("%d", &n);\n17\nn * 2\n')
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["34"]
