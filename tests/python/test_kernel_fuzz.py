"""A short libFuzzer run over the wire decoder (kernel/wire.c); `make fuzz` runs longer ones."""
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

CLANG = "clang-14"
FUZZ_BIN = BUILD / "fuzz" / "fuzz_wire"
FUZZ_SECONDS = 5


@pytest.mark.skipif(shutil.which(CLANG) is None,
                    reason=f"{CLANG} (with libFuzzer) is not installed: the wire fuzzer cannot be built")
def test_wire_decoder_survives_fuzzing(tmp_path):
    subprocess.run(["make", "-s", str(FUZZ_BIN.relative_to(ROOT))], cwd=ROOT, check=True)
    p = subprocess.run([str(FUZZ_BIN), f"-max_total_time={FUZZ_SECONDS}", str(tmp_path),
                        str(ROOT / "fuzz" / "corpus")], capture_output=True, text=True,
                       timeout=FUZZ_SECONDS * 12)
    assert p.returncode == 0, p.stderr[-4000:]
    assert "Done" in p.stderr
