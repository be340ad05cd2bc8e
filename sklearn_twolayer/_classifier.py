"""The estimator: ``TwoLayerSigmoidClassifier``.

The third layer. It validates input, encodes labels into a 0/1 target matrix,
combines sample and class weights, draws the start vector, and stores the fitted
attributes. All mathematics is delegated to :mod:`sklearn_twolayer.network` and the
optimisation to :mod:`sklearn_twolayer._solver`.
"""

import functools
import sys
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._solver import ValidationMonitor, minimize_lbfgs, minimize_trust_ncg
from ._split import weighted_stratified_split
from .network import ParameterLayout, TwoLayerLoss, sigmoid

_ACCEPTED_SPARSE = ("csr", "csc")
_FLOAT_DTYPES = (np.float64, np.float32)


def _lazy_on_dask_arrays(method):
    """On a Dask array, map ``method`` lazily over its blocks (``_dask.predict``)."""

    @functools.wraps(method)
    def dispatch(self, X):
        if _is_dask_collection(X):
            from . import _dask

            return _dask.predict(self, X, method.__name__)
        return method(self, X)

    return dispatch


def _is_dask_collection(*arrays):
    """Whether any argument is a Dask collection, without ever importing dask.

    A Dask collection can only exist once dask is imported, so an absent module
    means none was passed; the Dask code (``_dask.py``) is imported only then.
    """
    dask = sys.modules.get("dask")
    return dask is not None and any(dask.is_dask_collection(a) for a in arrays)


class TwoLayerSigmoidClassifier(ClassifierMixin, BaseEstimator):
    """Two-layer sigmoid network trained with exact gradients and L-BFGS.

    The network is the source document's: ``h1 = σ(b1 + W1 x)`` and the output
    ``h2 = σ(b2 + W2 h1)``, trained on the binary cross-entropy with the analytic
    gradients of eqs. 1.1–1.6. Multilabel targets get one sigmoid output per label
    (the same equations element-wise); multiclass targets get a softmax output with
    cross-entropy, whose output gradient has the same form ``h2 − y``.

    The objective is ``MLPClassifier``'s L-BFGS objective::

        [Σ_i s_i · loss_i + ½ · alpha · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

    with ``s_i`` the sample weight times the class weight, so that a weight of 2 on
    a row equals repeating the row. It is minimised with
    ``scipy.optimize.minimize(method="L-BFGS-B")`` or, with ``solver="trust-ncg"``,
    with a trust-region Newton method that uses the exact Hessian-vector products of
    :meth:`~sklearn_twolayer.network.TwoLayerLoss.gradient_hessian_product`.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden sigmoid units.
    alpha : float, default=1e-4
        Strength of the L2 penalty on ``W1`` and ``W2`` (biases are not penalised).
    max_iter : int, default=200
        Maximum number of solver iterations.
    tol : float, default=1e-4
        Tolerance on the gradient's max-norm (L-BFGS-B's ``gtol``; the same test
        for ``"trust-ncg"``).
    max_fun : int, default=15000
        Maximum number of objective-and-gradient evaluations; for ``"trust-ncg"``,
        of evaluations plus Hessian-vector products (each costs about one gradient
        evaluation), checked after each iteration.
    solver : {"lbfgs", "trust-ncg"}, default="lbfgs"
        ``"lbfgs"``: L-BFGS-B, a quasi-Newton method using gradients only, the
        solver of ``MLPClassifier(solver="lbfgs")``. ``"trust-ncg"``: scipy's
        Newton conjugate-gradient trust-region method with the exact Hessian-vector
        product (computed analytically, never by finite differences, the Hessian
        never formed). It handles the directions of negative curvature of this
        non-convex objective by following them to the trust-region boundary, where
        ``"newton-cg"`` would truncate its step and fall back on a line search.
        It needs far fewer iterations but usually more gradient-equivalent work
        than L-BFGS; it pays off on ill-conditioned problems where L-BFGS needs
        thousands of iterations, and at tight tolerances (see the solvers page).
    early_stopping : bool, default=False
        If True, hold out ``validation_fraction`` of the data, compute the loss on
        it after every iteration, stop when it has not improved for
        ``n_iter_no_change`` iterations, and keep the parameters of the iteration
        with the lowest validation loss (not the last ones). The split, seeded by
        ``random_state``, is stratified by class (by label set for multilabel
        targets; label sets, or classes, with a single distinct row are pooled
        into one stratum) and measures the held-out fraction in sample weight.
        It draws distinct rows: identical rows stay together, so a row of weight
        k is split exactly as k copies of it, and no copy of a training row is
        used for validation. The held-out rows' sample and class weights weight
        the validation loss, the objective's data term ``Σ s_i loss_i / Σ s_i``
        over those rows (no L2 term). With ``warm_start=True`` every fit holds out
        a split again (the same rows for an integer ``random_state`` and the same
        data), starts from the previous parameters, whose validation loss is the
        baseline to beat, and restarts the curves.
    validation_fraction : float, default=0.1
        Fraction of each stratum's weight held out when ``early_stopping=True``,
        rounded to whole distinct rows, at least one row held out and one kept
        per stratum.
    n_iter_no_change : int, default=10
        Number of iterations without a lower validation loss after which
        ``early_stopping`` stops the solver.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as in ``LogisticRegression``. ``"balanced"`` uses
        ``n_samples / (n_classes * bincount(y))`` with the counts weighted by
        ``sample_weight``. For multilabel targets only ``"balanced"`` is accepted:
        each label column is balanced and the per-column weights are multiplied.
    warm_start : bool, default=False
        If True, ``fit`` starts from the previous solution instead of a fresh draw.
    random_state : int, RandomState instance or None, default=None
        Seeds the Glorot-uniform initialisation, drawn exactly as ``MLPClassifier``
        draws it for ``activation="logistic"``.
    verbose : int, default=0
        If positive, print the objective and gradient norm after each iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, ``arange(n_labels)``).
    W1_ : ndarray of shape (n_hidden, n_features)
        Hidden-layer weights (the document's ``W1``).
    b1_ : ndarray of shape (n_hidden,)
        Hidden-layer biases.
    W2_ : ndarray of shape (n_outputs, n_hidden)
        Output-layer weights (the document's ``W2``).
    b2_ : ndarray of shape (n_outputs,)
        Output-layer biases.
    n_outputs_ : int
        1 for binary targets, the number of classes for multiclass, the number of
        labels for multilabel.
    out_activation_ : {"logistic", "softmax"}
        The output unit.
    n_iter_ : int
        Number of solver iterations run by the last ``fit`` (with early stopping,
        including the ``n_iter_no_change`` after the best one).
    loss_ : float
        Objective at the end of the last ``fit`` (with early stopping, the training
        objective of the kept, best-validation parameters).
    loss_curve_ : list of float
        Objective after each solver iteration of the last ``fit`` (with early
        stopping, the objective on the training rows only).
    validation_loss_curve_ : list of float or None
        Validation loss after each iteration, as long as ``loss_curve_``; None
        when ``early_stopping=False``.
    best_validation_loss_ : float or None
        Lowest validation loss, that of the kept parameters; None when
        ``early_stopping=False``.
    best_iteration_ : int or None
        Iteration of the kept parameters (1-based, so ``loss_curve_[best_iteration_
        - 1]`` is their training objective); 0 when no iteration improved on the
        start (possible after a warm start); None when ``early_stopping=False``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The general multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_twolayer import TwoLayerSigmoidClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=8, random_state=0)
    ... )
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf[-1].W1_.shape
    (8, 30)

    Early stopping holds out 10% of the rows and keeps the parameters of the
    iteration with the lowest loss on them:

    >>> stopped = make_pipeline(
    ...     StandardScaler(),
    ...     TwoLayerSigmoidClassifier(n_hidden=8, early_stopping=True, random_state=0),
    ... ).fit(X, y)[-1]
    >>> len(stopped.validation_loss_curve_) == len(stopped.loss_curve_)
    True
    >>> stopped.best_validation_loss_ == min(stopped.validation_loss_curve_)
    True
    """

    _parameter_constraints: dict = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"lbfgs", "trust-ncg"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_hidden=100,
        *,
        alpha=1e-4,
        max_iter=200,
        tol=1e-4,
        max_fun=15000,
        solver="lbfgs",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_hidden = n_hidden
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.max_fun = max_fun
        self.solver = solver
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    # -- fitting -----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y`` with the chosen solver.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input is trained in float32; sparse CSR/CSC
            input is used as it is, never densified.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples; a weight of k acts as k copies.

        Returns
        -------
        self : TwoLayerSigmoidClassifier
            The fitted estimator.
        """
        if _is_dask_collection(X, y, sample_weight):
            from . import _dask

            return _dask.fit(self, X, y, sample_weight)
        continuing = self.warm_start and hasattr(self, "W1_")
        X, Y, weights, loss = self._training_problem(X, y, sample_weight, continuing)
        layout = loss.layout
        if continuing:
            if self.W1_.shape[0] != self.n_hidden:
                raise ValueError(
                    "warm_start=True needs the same n_hidden as the previous fit "
                    f"({self.W1_.shape[0]}), got n_hidden={self.n_hidden}."
                )
            theta0 = layout.pack(self.W1_, self.b1_, self.W2_, self.b2_, np.float64)
        else:
            theta0 = _glorot_start(layout, check_random_state(self.random_state))

        dtype = X.dtype
        result, monitor = self._run_solver(X, Y, weights, loss, theta0)
        return self._store_solution(layout, result, dtype, monitor)

    def _store_solution(self, layout, result, dtype, monitor=None):
        """Set the fitted attributes from a solver result (in-memory and Dask fits)."""
        if not np.all(np.isfinite(result.theta)) or not np.isfinite(result.loss):
            raise ValueError(
                f"solver={self.solver!r} produced non-finite weights or loss; scale "
                "the input features (e.g. with StandardScaler) or increase alpha."
            )
        self.n_outputs_ = layout.n_outputs
        W1, b1, W2, b2 = layout.unpack(result.theta.astype(dtype))
        self.W1_, self.b1_, self.W2_, self.b2_ = W1, b1, W2, b2
        self.n_iter_ = result.n_iter
        self.loss_ = result.loss
        self.loss_curve_ = result.loss_curve
        self.validation_loss_curve_ = monitor.curve if monitor else None
        self.best_validation_loss_ = monitor.best_loss if monitor else None
        self.best_iteration_ = monitor.best_iteration if monitor else None
        return self

    def _run_solver(self, X, Y, weights, loss, theta0):
        """Hold out the validation rows if asked, then run the chosen solver.

        Returns the solver's result and the :class:`ValidationMonitor` (or None).
        """
        dtype = X.dtype
        monitor = None
        if self.early_stopping:
            # Both parts have positive total weight (the split's guarantee).
            train, held_out = weighted_stratified_split(
                X, Y, weights, self.validation_fraction, self.random_state
            )
            X_val, Y_val = X[held_out], Y[held_out]
            weights_val = None if weights is None else weights[held_out]
            X, Y = X[train], Y[train]
            weights = None if weights is None else weights[train]

            def validation_loss(theta):
                theta = theta.astype(dtype, copy=False)
                return loss.loss(theta, X_val, Y_val, weights_val)

            monitor = ValidationMonitor(validation_loss, theta0, self.n_iter_no_change)

        budgets = {
            "max_iter": self.max_iter,
            "max_fun": self.max_fun,
            "tol": self.tol,
            "verbose": self.verbose,
            "monitor": monitor,
        }
        if self.solver == "trust-ncg":

            def objective_and_hessp(theta):
                theta = theta.astype(dtype, copy=False)
                return loss.gradient_hessian_product(theta, X, Y, weights, self.alpha)

            return minimize_trust_ncg(objective_and_hessp, theta0, **budgets), monitor

        def objective(theta):
            return loss.loss_gradient(
                theta.astype(dtype, copy=False), X, Y, weights, self.alpha
            )

        return minimize_lbfgs(objective, theta0, **budgets), monitor

    def _training_problem(self, X, y, sample_weight, continuing=False):
        """Validate the training data; return (X, Y, weights, loss object).

        Sets ``classes_``, ``out_activation_`` and the ``n_features_in_`` family. With
        ``continuing`` (warm start) the data must match the previous fit.
        """
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse=_ACCEPTED_SPARSE,
            dtype=_FLOAT_DTYPES,
            multi_output=True,
        )
        _check_magnitude(X)
        classes, Y, y_encoded, output = self._encode_targets(y)
        out_activation = "softmax" if output == "softmax" else "logistic"
        if continuing:
            self._check_same_targets_as_before(classes, out_activation)
        weights = self._combined_weights(X, Y, sample_weight, classes, y_encoded)
        self.classes_, self.out_activation_ = classes, out_activation
        layout = ParameterLayout(X.shape[1], self.n_hidden, Y.shape[1])
        return X, Y.astype(X.dtype, copy=False), weights, TwoLayerLoss(layout, output)

    def _check_same_targets_as_before(self, classes, out_activation):
        """A warm start continues the previous network: its outputs must not change."""
        if (
            not np.array_equal(self.classes_, classes)
            or self.out_activation_ != out_activation
        ):
            raise ValueError(
                "warm_start=True needs the same classes as the previous fit: "
                f"fitted on {self.classes_.tolist()}, now given {classes.tolist()}."
            )

    def _encode_targets(self, y):
        """Return (classes_, Y, encoded labels or None, output kind) for y."""
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=5,  # the caller of fit (through _fit_context)
            )
            y = y.ravel()
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y")
        if target_type == "multilabel-indicator":
            if isinstance(self.class_weight, dict):
                raise ValueError(
                    "class_weight must be None or 'balanced' for multilabel targets; "
                    "pass sample_weight for other weightings."
                )
            Y = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
            return np.arange(Y.shape[1]), Y, None, "sigmoid"
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
                f"targets; got a {target_type!r} target."
            )
        classes, y_encoded = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "TwoLayerSigmoidClassifier needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes[0]!r}."
            )
        if classes.size == 2:
            return classes, y_encoded[:, None].astype(np.float64), y_encoded, "sigmoid"
        Y = np.zeros((y_encoded.size, classes.size))
        Y[np.arange(y_encoded.size), y_encoded] = 1.0
        return classes, Y, y_encoded, "softmax"

    def _combined_weights(self, X, Y, sample_weight, classes, y_encoded):
        """s_i = sample_weight_i · class_weight[y_i], or None when all are 1.

        For multilabel targets ``"balanced"`` balances each label column (0 against 1)
        and multiplies the per-column weights, scikit-learn's convention for
        multi-output targets. Class counts are weighted by ``sample_weight``, so that
        integer weights still equal repeated rows.
        """
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if (
                y_encoded is not None
                and np.unique(y_encoded[sample_weight > 0]).size < 2
            ):
                raise ValueError(
                    "Only one class has positive sample_weight; at least 2 classes "
                    "are needed to fit."
                )
        if isinstance(self.class_weight, dict):
            _check_class_weight_dict(self.class_weight, classes)
        if self.class_weight is None:
            weights = sample_weight
        else:
            weights = np.ones(X.shape[0], dtype=X.dtype)
            columns = [classes[y_encoded]] if y_encoded is not None else Y.T
            for labels in columns:
                present, encoded = np.unique(labels, return_inverse=True)
                per_class = compute_class_weight(
                    self.class_weight,
                    classes=present,
                    y=labels,
                    sample_weight=sample_weight,
                )
                weights *= per_class[encoded]  # in place: stays in X.dtype
            if sample_weight is not None:
                weights *= sample_weight
        if weights is not None and not np.sum(weights, dtype=np.float64) > 0:
            raise ValueError(
                "The sample weights times the class weights sum to 0: nothing to fit."
            )
        return weights

    # -- prediction --------------------------------------------------------------
    def _loss_and_theta(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, accept_sparse=_ACCEPTED_SPARSE, dtype=_FLOAT_DTYPES
        )
        _check_magnitude(X)
        layout = ParameterLayout(self.W1_.shape[1], self.W1_.shape[0], self.n_outputs_)
        output = "softmax" if self.out_activation_ == "softmax" else "sigmoid"
        theta = layout.pack(self.W1_, self.b1_, self.W2_, self.b2_, X.dtype)
        return TwoLayerLoss(layout, output=output), theta, X

    def _is_binary(self):
        return (
            self.out_activation_ == "logistic"
            and self.classes_.size == 2
            and (self.n_outputs_ == 1)
        )

    @_lazy_on_dask_arrays
    def decision_function(self, X):
        """Output logits ``a2 = b2 + W2 h1``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for binary targets, else (n_samples, n_outputs)
            Positive values favour ``classes_[1]`` in the binary case.
        """
        loss, theta, X = self._loss_and_theta(X)
        A2 = loss.logits(theta, X)
        return A2.ravel() if self._is_binary() else A2

    @_lazy_on_dask_arrays
    def predict_proba(self, X):
        """Class probabilities (per-label probabilities for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1 for binary and multiclass targets. Always float64, even
            for float32 input, so that small probabilities do not underflow to 0
            (σ(−104) is 0 in float32).
        """
        loss, theta, X = self._loss_and_theta(X)
        A2 = loss.logits(theta, X).astype(np.float64, copy=False)
        if self._is_binary():
            return np.hstack([sigmoid(-A2), sigmoid(A2)])
        return loss.output_proba(A2)

    @_lazy_on_dask_arrays
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed from the logits.

        Uses log-sigmoid / log-softmax of the logits, so it stays finite where the
        probability underflows to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            float64, as :meth:`predict_proba`.
        """
        loss, theta, X = self._loss_and_theta(X)
        A2 = loss.logits(theta, X).astype(np.float64, copy=False)
        if self._is_binary():
            return np.hstack([loss.log_output_proba(-A2), loss.log_output_proba(A2)])
        return loss.log_output_proba(A2)

    @_lazy_on_dask_arrays
    def predict(self, X):
        """Predicted class labels (a 0/1 indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        scores = self.decision_function(X)
        if self._is_binary():
            return self.classes_[(scores > 0).astype(int)]
        if self.out_activation_ == "softmax":
            return self.classes_[np.argmax(scores, axis=1)]
        return (scores > 0).astype(int)


def _check_magnitude(X):
    """Reject features too large to multiply by a weight without overflow.

    Up to sqrt(largest float) (1e154 in float64, 1.8e19 in float32), a feature
    times any weight up to the same size stays finite; beyond it the pre-activations
    and the gradient overflow to inf and the fit silently returns nonsense.
    """
    limit = np.sqrt(np.finfo(X.dtype).max)
    # X is validated, so not empty; a sparse X's implicit zeros change nothing here.
    largest = max(float(X.max()), -float(X.min()))
    if largest > limit:
        raise ValueError(
            f"X has entries of magnitude {largest:.3g}, beyond {limit:.3g}, the "
            f"largest a {X.dtype} network can multiply by its weights without "
            "overflow; scale the input features (e.g. with StandardScaler)."
        )


def _check_class_weight_dict(class_weight, classes):
    """Reject keys that are not classes of y and weights that are not finite and >= 0.

    An unknown key is almost always a typo or a label of the wrong type (``"1"``
    for ``1``), which would otherwise silently leave a class unweighted; a negative
    weight makes the objective unbounded below.
    """
    known = set(classes.tolist())
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise InvalidParameterError(
            f"class_weight has keys {unknown} that are not classes of y; the classes "
            f"are {classes.tolist()}."
        )
    for key, weight in class_weight.items():
        if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0):
            raise InvalidParameterError(
                "class_weight values must be finite non-negative numbers; got "
                f"{weight!r} for class {key!r}."
            )


def _glorot_start(layout, random_state):
    """Glorot-uniform start vector, drawn as ``MLPClassifier`` draws it.

    ``MLPClassifier`` (activation="logistic") draws, per layer, the coefficient
    matrix of shape (fan_in, fan_out) then the intercepts, each uniform in
    ±sqrt(2 / (fan_in + fan_out)). Its coefficient matrices are the transposes of
    the document's W1 and W2, so the same draws give the same network.
    """
    d, h, k = layout.n_features, layout.n_hidden, layout.n_outputs
    draws = []
    for fan_in, fan_out in ((d, h), (h, k)):
        bound = np.sqrt(2.0 / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = random_state.uniform(-bound, bound, fan_out)
        draws += [coef.T, intercept]
    return layout.pack(*draws)  # float64, as the draws are
