import os

from hypothesis import HealthCheck, Phase, settings

# scikit-learn's check_array_api_input runs only when SciPy's array-API mode is on,
# and SciPy reads the variable once at import: set it before anything imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Property tests: CI runs a bounded, derandomised number of examples so its time and
# outcome are reproducible; a local run explores more. HYPOTHESIS_PROFILE overrides.
settings.register_profile(
    "ci",
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Mutation runs: the CI examples without shrinking, since a mutant only needs to
# fail, not to be explained.
settings.register_profile(
    "mutation",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.register_profile(
    "local",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "local")
)
