"""``transform``: the hidden layer h1 = σ(b1 + W1 x) as features (eq. 1.1).

Checked against an independent computation from the fitted attributes (SciPy's
``expit`` of the pre-activations), on dense and sparse input in both dtypes, over
many blocks of rows and thread counts, with scikit-learn's output containers and as
an intermediate step of a Pipeline. The other backends (Dask, array API) are in
tests/test_backends.py.
"""

import _reference as reference
import numpy as np
import pytest
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_twolayer import TwoLayerSigmoidClassifier


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("form", ["dense", "csr", "csc"])
def test_transform_is_the_hidden_layer(iris, dtype, form):
    X, y = iris
    X = X.astype(dtype)
    if form != "dense":
        X = getattr(sparse, f"{form}_matrix")(X)
    clf = TwoLayerSigmoidClassifier(n_hidden=5, alpha=1.0, random_state=0).fit(X, y)
    H1 = clf.transform(X)
    assert isinstance(H1, np.ndarray)
    assert H1.shape == (150, 5)
    assert H1.dtype == dtype  # float32 stays float32
    # The hidden sigmoid's absolute error is about one rounding of its dtype.
    tolerance = {"rtol": 1e-5, "atol": 1e-7} if dtype == np.float32 else {}
    tolerance = tolerance or {"rtol": 1e-12, "atol": 1e-15}
    np.testing.assert_allclose(H1, reference.hidden_of_fitted(clf, X), **tolerance)
    assert np.all((H1 > 0) & (H1 < 1))


def test_the_tags_say_float32_is_preserved(iris):
    """preserves_dtype lists what transform keeps (scikit-learn's
    check_transformer_preserve_dtypes holds the estimator to it)."""
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    preserved = clf.__sklearn_tags__().transformer_tags.preserves_dtype
    assert set(preserved) == {"float64", "float32"}
    for dtype in preserved:
        fitted = clf.fit(X.astype(dtype), y)
        assert fitted.transform(X.astype(dtype)).dtype == dtype


def test_the_output_layer_reads_the_hidden_layer(iris):
    """decision_function is W2 h1 + b2 of transform's h1: the same network."""
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=4, alpha=1.0, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        clf.transform(X) @ clf.W2_.T + clf.b2_, clf.decision_function(X), rtol=1e-12
    )


def test_many_blocks_give_the_same_bits_on_any_thread_count():
    """Beyond one block of rows the evaluation's workers compute h1; each row's
    values depend on that row only, so 1 and 2 threads give the same bits."""
    X, y = make_classification(n_samples=6000, n_features=30, random_state=0)
    clf = TwoLayerSigmoidClassifier(n_hidden=64, max_iter=3, random_state=0)
    with pytest.warns(Warning):  # 3 iterations: a ConvergenceWarning
        clf.fit(X, y)
    results = []
    for n_threads in (1, 2):
        with threadpool_limits(n_threads):
            results.append(clf.transform(X))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(
        results[0], reference.hidden_of_fitted(clf, X), rtol=1e-12, atol=1e-15
    )


def test_feature_names_out_use_the_class_name_prefix(iris):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=500)
    with pytest.raises(NotFittedError):
        clf.get_feature_names_out()
    clf.fit(X, y)
    np.testing.assert_array_equal(
        clf.get_feature_names_out(),
        np.array([f"twolayersigmoidclassifier{i}" for i in range(3)], dtype=object),
    )


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_set_output_returns_a_data_frame(iris, container):
    library = pytest.importorskip(container)
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=500)
    clf.set_output(transform=container).fit(X, y)
    frame = clf.transform(X)
    assert isinstance(frame, library.DataFrame)
    assert list(frame.columns) == list(clf.get_feature_names_out())
    np.testing.assert_allclose(
        np.asarray(frame), reference.hidden_of_fitted(clf, X), rtol=1e-12, atol=1e-15
    )
    with config_context(transform_output=container):
        fresh = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=500)
        assert isinstance(fresh.fit_transform(X, y), library.DataFrame)


def test_pandas_input_keeps_its_index_and_checks_its_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=list("abcd"), index=np.arange(150) * 7)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0, max_iter=500)
    clf.set_output(transform="pandas").fit(frame, y)
    H1 = clf.transform(frame)
    np.testing.assert_array_equal(H1.index, frame.index)
    with pytest.raises(ValueError, match="feature names"):
        clf.transform(frame.rename(columns={"a": "z"}))


def test_intermediate_pipeline_step_feeds_its_hidden_layer(iris):
    X, y = iris
    net = TwoLayerSigmoidClassifier(n_hidden=6, alpha=1.0, random_state=0)
    pipeline = make_pipeline(StandardScaler(), net, LogisticRegression()).fit(X, y)
    fitted_net, logistic = pipeline[1], pipeline[2]
    H1 = fitted_net.transform(pipeline[0].transform(X))
    assert logistic.coef_.shape == (3, 6)  # fitted on the 6 hidden units
    np.testing.assert_array_equal(pipeline.predict(X), logistic.predict(H1))
    np.testing.assert_array_equal(
        pipeline[:-1].get_feature_names_out(), fitted_net.get_feature_names_out()
    )
    # fit_transform is fit then transform, with the same bits.
    again = TwoLayerSigmoidClassifier(n_hidden=6, alpha=1.0, random_state=0)
    np.testing.assert_array_equal(again.fit_transform(pipeline[0].transform(X), y), H1)


def test_transform_checks_its_input(iris):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    with pytest.raises(NotFittedError):
        clf.transform(X)
    clf.set_params(max_iter=500).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but"):
        clf.transform(X[:, :3])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.transform(X_nan)


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_a_data_frame_output_of_a_dask_array_is_refused_with_the_lazy_way(
    iris, container
):
    """A pandas or polars output would compute the whole lazy array: refused,
    with how to get a lazy frame; the default output stays lazy."""
    da = pytest.importorskip("dask.array")
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0, max_iter=500)
    clf.fit(X, y)
    X_lazy = da.from_array(X, chunks=50)
    assert isinstance(clf.transform(X_lazy), da.Array)
    clf.set_output(transform=container)
    with pytest.raises(ValueError, match=f"set to '{container}'.*from_dask_array"):
        clf.transform(X_lazy)
