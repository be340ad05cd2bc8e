"""The README's first command, ``python -m sklearn_twolayer``, runs and reports."""

import re
import runpy


def test_demo_runs_as_a_module_and_reports_sensible_numbers(capsys):
    runpy.run_module("sklearn_twolayer", run_name="__main__")
    out = capsys.readouterr().out

    accuracies = re.findall(r"(\S+)\s+test accuracy (\S+)", out)
    assert [name for name, _ in accuracies] == [
        "TwoLayerSigmoidClassifier",
        "MLPClassifier",
    ]
    assert all(float(accuracy) > 0.9 for _, accuracy in accuracies)
    # the same objective from the same start: the same model
    gap = re.search(r"max \|predict_proba difference\| from the same start: (\S+)", out)
    assert float(gap.group(1)) < 1e-6
    error = re.search(r"finite differences: rel. error (\S+)", out)
    assert float(error.group(1)) < 1e-6
    assert "df/dx = [ 0.3932 -0.5898 -0.5898]" in out
