"""``show_versions()``: what a bug report needs; optional libraries not imported."""

import re
import subprocess
import sys
from importlib.metadata import version

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

import sklearn_twolayer
from sklearn_twolayer._show_versions import _simd_info


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
