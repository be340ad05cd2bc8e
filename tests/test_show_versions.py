"""``show_versions()``: what a bug report needs; optional libraries not imported."""

import platform
import re
import subprocess
import sys
from importlib.metadata import version

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

import sklearn_twolayer
from sklearn_twolayer._show_versions import _cpu_model, _simd_info


def _sections(output):
    """{section title: {key: value}} of show_versions' output."""
    sections, current = {}, None
    for line in output.splitlines():
        if not line.strip():
            continue
        if line.endswith(":") and not line.startswith(" "):
            current = sections.setdefault(line[:-1], {})
        else:
            key, _, value = line.partition(": ")
            current.setdefault(key.strip(), value)
    return sections


def test_sections_and_versions(capsys):
    sklearn_twolayer.show_versions()
    sections = _sections(capsys.readouterr().out)
    assert list(sections) == [
        "System",
        "NumPy SIMD extensions",
        "Python dependencies",
        "Optional dependencies (installed)",
        "threadpoolctl info",
    ]
    assert sections["System"]["python"] == sys.version.replace("\n", " ")
    assert sections["System"]["executable"] == sys.executable
    dependencies = sections["Python dependencies"]
    assert dependencies["sklearn-twolayer"] == sklearn_twolayer.__version__
    assert dependencies["numpy"] == np.__version__
    assert dependencies["scipy"] == scipy.__version__
    assert dependencies["scikit-learn"] == sklearn.__version__
    for name, value in sections["Optional dependencies (installed)"].items():
        assert value == version(name)


def test_the_cpu_model_is_named(capsys, tmp_path):
    """The CPU on which float32 results depend is in the report: the first
    model-name field of /proc/cpuinfo, where there is one, else the platform's."""
    sklearn_twolayer.show_versions()
    cpu = _sections(capsys.readouterr().out)["System"]["cpu"]
    assert cpu == _cpu_model()
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\n"
        "model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz\n\n"
        "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz\n"
    )
    assert _cpu_model(cpuinfo) == "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"
    cpuinfo.write_text("processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n")
    assert _cpu_model(cpuinfo) == "POWER9 (raw), altivec supported"
    missing = tmp_path / "none"
    assert _cpu_model(missing) == (platform.processor() or "unknown")


def test_the_simd_extensions_are_numpys():
    info = _simd_info()
    assert set(info) == {"baseline", "found", "not found"}
    assert info["baseline"]  # every NumPy wheel has a baseline
    found = set(filter(None, info["found"].split(",")))
    not_found = set(filter(None, info["not found"].split(",")))
    assert not found & not_found


def test_blas_libraries_and_threads_are_listed(capsys):
    sklearn_twolayer.show_versions()
    output = capsys.readouterr().out.split("threadpoolctl info:")[1]
    for pool in threadpool_info():
        assert f"    num_threads: {pool['num_threads']}" in output
        assert f"       filepath: {pool['filepath']}" in output
    assert re.search(r"user_api: blas", output)


def test_optional_libraries_are_not_imported():
    script = (
        "import sys, sklearn_twolayer\n"
        "sklearn_twolayer.show_versions()\n"
        "heavy = {'torch', 'dask', 'distributed', 'onnxruntime', 'skl2onnx'}\n"
        "print('imported:', sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    assert result.stdout.rstrip().endswith("imported: []")
