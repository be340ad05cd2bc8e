import os

# scikit-learn's check_array_api_input runs only when SciPy's array-API mode is on,
# and SciPy reads the variable once at import: set it before anything imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
