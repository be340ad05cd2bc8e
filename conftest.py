"""pytest configuration for the whole checkout, the package's doctests included."""

import importlib.util

# Dask support is an optional extra (``pip install -e ".[test,dask]"``). Without it
# its module cannot be imported, so ``--doctest-modules`` must not collect it; the
# Dask tests skip themselves with the reason.
collect_ignore = (
    []
    if importlib.util.find_spec("dask") and importlib.util.find_spec("distributed")
    else ["sklearn_twolayer/_backends/dask.py"]
)
# Likewise the ONNX converter, which needs the onnx extra (skl2onnx, onnxruntime).
if not (
    importlib.util.find_spec("skl2onnx") and importlib.util.find_spec("onnxruntime")
):
    collect_ignore.append("sklearn_twolayer/onnx.py")
