"""The ctorch kernel against jupyter_kernel_test: every test that applies to a C kernel."""
import unittest

import jupyter_kernel_test
import pytest


@pytest.mark.usefixtures("ctorch_kernelspec")
class CtorchKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "ctorch"
    language_name = "c"
    file_extension = ".c"

    code_hello_world = 'printf("hello, world\\n");'
    code_stderr = 'fprintf(stderr, "something went wrong\\n");'

    completion_samples = [
        {"text": "t_matm", "matches": {"t_matmul"}},
        {"text": "Tensor *a = t_zeros(2, 2); t_mat", "matches": {"t_matmul"}},
    ]

    complete_code_samples = ["int x = 1;", "6 * 7", "int f(int a) { return a + 1; }"]
    incomplete_code_samples = ["int f(int a) {", "int v[] = {1, 2,"]
    invalid_code_samples = ["int x = 1; }"]

    code_page_something = "?t_matmul"

    code_generate_error = 't_raise(T_ERR_VALUE, "a deliberate error");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "int answer = 40; answer + 2", "result": "42"},
    ]

    code_display_data = [
        {"code": "display(t_ones(2, 2));", "mime": "text/plain"},
    ]

    code_history_pattern = "6 ? 7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "t_matmul"

    code_clear_output = "t_clear_output(false);"


if __name__ == "__main__":
    unittest.main()
