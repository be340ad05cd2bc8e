"""The estimator ``TwoLayerSigmoidClassifier``: the one fit path for every input.

``fit`` hands ``X`` to its backend (:mod:`sklearn_twolayer._backends`), runs the
solver (:mod:`sklearn_twolayer._solver`) on the objective and assigns every fitted
attribute at once; a prediction hands a :mod:`sklearn_twolayer._prediction`
function to the backend of its ``X``. See the architecture page.
"""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import _get_feature_names, check_is_fitted

from . import _prediction
from ._backends import backend_for
from ._callbacks import CallbackSupportMixin, FitCallbacks, parameters_as_attributes
from ._objective import Objective
from ._persistence import VersionedStateMixin
from ._sklearn_compat import ARRAY_API_VERSION, sklearn_at_least
from ._solver import ValidationMonitor, minimize_lbfgs, minimize_trust_ncg
from ._targets import VALIDATION_SET

# Set by validation (``reset=True``) on a fit's working copy, assigned with the weights.
_VALIDATION_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


class _AtomicFitTransformMixin:
    """``fit_transform`` as one call: fit, transform, and only then assign.

    A class of its own (before ``TransformerMixin``), so ``set_output`` does not wrap
    it: its result already is in the container, and unwrapped the fit's warnings
    point at its caller. A subclass with its own ``fit`` gets that, then ``transform``.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the network to ``X`` and ``y``, then return the hidden layer of ``X``.

        ``fit(X, y, ...).transform(X)`` as one call that fails as a whole: a
        transform that refuses (a pandas output of Dask rows) or fails leaves the
        estimator as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
        X_val, y_val, sample_weight_val : default=None
            The validation set of early stopping, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_hidden)
            :meth:`transform`'s output for ``X``.
        """
        validation_set = (X_val, y_val, sample_weight_val)
        if type(self).fit is not TwoLayerSigmoidClassifier.fit:
            return self._fit_then_transform(X, y, sample_weight, validation_set)
        return self._fit_and_assign(X, y, sample_weight, validation_set, transform=True)

    def _fit_then_transform(self, X, y, sample_weight, validation_set):
        """A subclass's own ``fit``, then ``transform``; the previous state back
        when either fails (the subclass's fit assigns its model itself)."""
        previous = dict(self.__dict__)  # before the fit sets its callbacks' context
        names = ("X_val", "y_val", "sample_weight_val")
        kwargs = {
            name: value
            for name, value in zip(names, validation_set, strict=True)
            if value is not None
        }
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        try:
            return self.fit(X, y, **kwargs).transform(X)
        except BaseException:
            self.__dict__ = previous
            raise


class TwoLayerSigmoidClassifier(
    CallbackSupportMixin,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    _AtomicFitTransformMixin,
    TransformerMixin,
    VersionedStateMixin,
    BaseEstimator,
):
    """Two-layer sigmoid network trained with exact gradients and L-BFGS.

    The source document's network, ``h1 = σ(b1 + W1 x)``, ``h2 = σ(b2 + W2 h1)`` (one
    sigmoid per label for multilabel targets, a softmax for multiclass), trained on
    the cross-entropy with the analytic gradients of eqs. 1.1–1.6. The objective is
    ``MLPClassifier``'s, ``s_i`` the sample times the class weight (:ref:`user_guide`)::

        [Σ_i s_i · loss_i + ½ · alpha · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden sigmoid units.
    alpha : float, default=2.0
        Strength of the L2 penalty on ``W1`` and ``W2`` (not on the biases);
        ``alpha=1`` is that of ``LogisticRegression(C=1)``. The default had the
        lowest median test log-loss relative to ``LogisticRegression()`` on eleven
        real data sets, where ``MLPClassifier``'s ``1e-4`` overfits (:ref:`real_data`).
    max_iter : int, default=200
        Maximum number of solver iterations.
    tol : float, default=1e-4
        Tolerance on the gradient's max-norm, for both solvers (L-BFGS-B's ``gtol``).
    max_fun : int, default=15000
        Maximum number of objective-and-gradient evaluations (for ``"trust-ncg"``,
        plus Hessian-vector products, checked after each iteration).
    solver : {"lbfgs", "trust-ncg"}, default="lbfgs"
        ``"lbfgs"``: L-BFGS-B, as in ``MLPClassifier``. ``"trust-ncg"``: a trust-region
        Newton-CG method with the exact Hessian-vector product, which pays off on
        ill-conditioned problems and at tight tolerances (:ref:`solvers`).
    early_stopping : bool, default=False
        If True, hold out ``validation_fraction`` of the rows (or use ``fit``'s
        ``X_val``), stop once the validation loss (the data term, without L2) has not
        improved for ``n_iter_no_change`` iterations, and keep the best parameters,
        not the last (also on a callback's stop). The split is stratified, seeded by
        ``random_state``, and splits a row of weight k as k copies; see
        :ref:`solvers` for its rules, its warnings and ``warm_start``.
    validation_fraction : float, default=0.1
        Fraction of the training weight held out when ``early_stopping=True``, in
        (0, 1), rounded to whole distinct rows per stratum; unused with ``X_val``.
    n_iter_no_change : int, default=10
        Number of iterations without a lower validation loss after which
        ``early_stopping`` stops the solver.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as in ``LogisticRegression``, ``"balanced"`` counting
        sample weight; multilabel targets take ``"balanced"`` only, per label column
        (:ref:`user_guide`). A class (or a label's 0 or 1) of zero total weight gets
        0 from ``"balanced"`` and still counts in ``classes_`` and ``n_classes``.
    warm_start : bool, default=False
        If True, ``fit`` starts from the previous solution instead of a fresh draw.
    random_state : int, RandomState instance or None, default=None
        Seeds the Glorot-uniform start, drawn as ``MLPClassifier``'s logistic one.
    verbose : int, default=0
        If positive, print the objective and gradient norm after each iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``arange(n_labels)`` for multilabel targets), in ``y``'s array
        API namespace and device when ``y`` is such an array of numbers.
    W1_ : ndarray of shape (n_hidden, n_features)
        Hidden-layer weights (the document's ``W1``).
    b1_ : ndarray of shape (n_hidden,)
        Hidden-layer biases.
    W2_ : ndarray of shape (n_outputs, n_hidden)
        Output-layer weights (the document's ``W2``).
    b2_ : ndarray of shape (n_outputs,)
        Output-layer biases.
    n_outputs_ : int
        1 for binary targets, else the number of classes or labels.
    out_activation_ : {"logistic", "softmax"}
        The output unit.
    n_iter_ : int
        Solver iterations of the last ``fit`` (with early stopping, including the
        ``n_iter_no_change`` after the best; with a callback's stop, up to it).
    loss_ : float
        Objective at the end of the last ``fit`` (with early stopping, the training
        objective of the kept parameters).
    loss_curve_ : list of float
        Objective after each iteration (with early stopping, on the training rows).
    validation_loss_curve_ : list of float or None
        Validation loss after each iteration, as long as ``loss_curve_``; None when
        ``early_stopping=False``.
    best_validation_loss_ : float or None
        Lowest validation loss, that of the kept parameters; None when
        ``early_stopping=False``.
    best_iteration_ : int or None
        1-based iteration of the kept parameters (``loss_curve_[best_iteration_ -
        1]`` is their objective); 0 when none improved on the start (possible after
        a warm start); None when ``early_stopping=False``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The general multi-layer perceptron.

    Notes
    -----
    The fitted network is also a transformer: :meth:`transform` returns the hidden
    activations ``h1``, a learned representation (e.g. as a ``Pipeline`` step).

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

    Early stopping keeps the parameters of the lowest loss on 10% held-out rows:

    >>> stopped = make_pipeline(
    ...     StandardScaler(),
    ...     TwoLayerSigmoidClassifier(n_hidden=8, early_stopping=True, random_state=0),
    ... ).fit(X, y)[-1]
    >>> len(stopped.validation_loss_curve_) == len(stopped.loss_curve_)
    True
    >>> stopped.best_validation_loss_ == min(stopped.validation_loss_curve_)
    True
    """

    # The "?" of the HTML diagram links to this package's API page (autosummary's).
    _doc_link_module = "sklearn_twolayer"
    _doc_link_template = (
        "https://sklearn-twolayer.readthedocs.io/en/stable/generated/"
        "{estimator_module}.{estimator_name}.html"
    )

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
        alpha=2.0,
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
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Under array_api_dispatch (_backends/array_api.py); NumPy and sparse input
        # keep the NumPy backend. Refused before scikit-learn 1.9 (_sklearn_compat).
        tags.array_api_support = sklearn_at_least(ARRAY_API_VERSION)
        return tags

    # -- fitting -----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
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
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation rows for early stopping instead of a split of ``X`` (e.g. a
            later period of a time series): every row of ``X`` trains. Needs
            ``y_val`` and ``early_stopping=True``; validated as ``X`` (the same
            features and kind of array). In a ``Pipeline``,
            ``transform_input=["X_val"]`` with metadata routing transforms it.
        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
            Labels of ``X_val``: classes of ``y`` (a subset of them is fine), or an
            indicator matrix with ``y``'s labels.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows, times ``class_weight``'s (those of the
            training ``y`` for ``"balanced"``).

        Returns
        -------
        self : TwoLayerSigmoidClassifier
            The fitted estimator.
        """
        self._fit_and_assign(X, y, sample_weight, (X_val, y_val, sample_weight_val))
        return self

    def _fit_and_assign(self, X, y, sample_weight, validation_set, transform=False):
        """``fit``'s body, and ``fit_transform``'s; returns the hidden layer of X
        when ``transform`` (else None). Nothing of the estimator changes unless all
        of it succeeds."""
        # First, so a bool count is rejected before anything is set up (the
        # callbacks count max_iter too).
        numbers = {**_integer_parameters(self), **_float_parameters(self)}
        validation = self._validation_data(*validation_set)
        # Before the working copy: the callbacks' context is set on the estimator,
        # and must stay there for their teardown (by _fit_context) to run.
        callbacks = FitCallbacks(self, X, y, sample_weight, numbers["max_iter"])
        # On a working copy: until the end the estimator keeps its previous state,
        # for predictions meanwhile; a failed or interrupted fit leaves it as it was.
        fitted = self._snapshot()._fit(
            X, y, sample_weight, callbacks, numbers, validation
        )
        hidden = None
        if transform:
            # Before the new model is assigned: a failing transform fails the call.
            model = self._snapshot()
            model._assign_fitted(fitted)
            hidden = model.transform(X)  # in set_output's container
        previous = self.__dict__
        self._assign_fitted(fitted)
        try:
            callbacks.end()  # the fitted estimator is the fit task's model
        except BaseException:
            self.__dict__ = previous  # a callback failed the call: as it was
            raise
        return hidden

    def _snapshot(self):
        """A copy made of one read of ``__dict__``: one fit's state whole, as a fit
        assigns it at once (:meth:`_assign_fitted`). Arrays are shared, never
        written into: a fit makes new ones."""
        snapshot = object.__new__(type(self))
        snapshot.__dict__ = self.__dict__.copy()
        return snapshot

    def _assign_fitted(self, fitted):
        """Assign a fit's attributes, validation's included, as one new ``__dict__``:
        a reader (:meth:`_snapshot`) sees the previous fit or this one, never a mix."""
        state = {
            key: value
            for key, value in self.__dict__.items()
            if key not in _VALIDATION_ATTRIBUTES
        }
        state.update(fitted)
        self.__dict__ = state

    def _validation_data(self, X_val, y_val, sample_weight_val):
        """``(X_val, y_val, sample_weight_val)``, or None; HistGradientBoosting's
        errors for an incomplete validation set or one without early stopping."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError(
                    "sample_weight_val is provided, but X_val and y_val were not "
                    "provided."
                )
            return None
        if y_val is None:
            raise ValueError("X_val is provided, but y_val was not provided.")
        if X_val is None:
            raise ValueError("y_val is provided, but X_val was not provided.")
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are passed to fit while at the same time "
                "early_stopping is False. When passing X_val and y_val to fit, "
                "early_stopping should be set to True."
            )
        return X_val, y_val, sample_weight_val

    def _fit(self, X, y, sample_weight, callbacks, numbers, validation=None):
        """The fit, for every backend; returns the fitted attributes to assign. The
        numeric parameters are read from ``numbers``, never from the attributes."""
        backend = backend_for(X)
        continuing = self.warm_start and hasattr(self, "W1_")
        targets, rows = backend.training_rows(
            self,
            X,
            y,
            sample_weight,
            reset=not continuing,
            n_hidden=numbers["n_hidden"],
        )
        held_out = None
        if validation is not None:
            held_out = _validation_rows(self, backend, targets, *validation)
        callbacks.begin()
        # Assigned with the weights, and set on the callbacks' models of each
        # iteration (None: no feature names, as scikit-learn's check reads it).
        validated = {"n_features_in_": self.n_features_in_}
        if hasattr(self, "feature_names_in_"):
            validated["feature_names_in_"] = self.feature_names_in_
        layout = rows.loss.layout
        if continuing:
            theta0 = self._warm_start_vector(targets, layout)
        else:
            theta0 = _glorot_start(layout, check_random_state(self.random_state))

        monitor = None
        if self.early_stopping:
            if held_out is None:
                # Both parts have positive total weight (the split's guarantee).
                rows, held_out = rows.split(
                    numbers["validation_fraction"], self.random_state
                )
            monitor = ValidationMonitor(
                Objective(held_out, 0.0).data_term, theta0, numbers["n_iter_no_change"]
            )
        _check_l2_per_weight(numbers["alpha"], rows.weight_sum)
        objective = Objective(rows, numbers["alpha"])
        budgets = {
            "max_iter": numbers["max_iter"],
            "max_fun": numbers["max_fun"],
            "tol": numbers["tol"],
            "verbose": numbers["verbose"],
            "monitor": monitor,
            "callback": callbacks.solver_callback(
                theta0,
                parameters_as_attributes(
                    layout,
                    rows.dtype,
                    classes_=targets.classes,
                    out_activation_=targets.out_activation,
                    **{"feature_names_in_": None, **validated},
                ),
                monitor,
            ),
        }
        if self.solver == "trust-ncg":
            result = minimize_trust_ncg(
                objective.loss_gradient_hessp, theta0, **budgets
            )
        else:
            result = minimize_lbfgs(objective.loss_gradient, theta0, **budgets)
        if monitor is not None and monitor.best_iteration == 0 and not continuing:
            warnings.warn(
                "early_stopping=True kept the untrained start: no iteration lowered "
                "the validation loss below that of the random initial weights "
                f"within n_iter_no_change={numbers['n_iter_no_change']} iterations, "
                "so the fitted weights are the random start (best_iteration_=0). "
                "Raise n_iter_no_change or validation_fraction, or fit without "
                "early stopping.",
                ConvergenceWarning,
                # The caller of fit (_fit_context's wrapper -> fit or fit_transform
                # -> _fit_and_assign -> _fit).
                stacklevel=5,
            )
        fitted = self._fitted_attributes(targets, layout, result, rows.dtype, monitor)
        fitted.update(validated)
        for name in _prediction.WEIGHTS:  # where the rows live
            fitted[name] = backend.fitted_array(rows, fitted[name])
        fitted["classes_"] = backend.fitted_classes(y, fitted["classes_"])
        return fitted

    def _warm_start_vector(self, targets, layout):
        """The previous solution as a start vector; its network must not change."""
        previous = _prediction.fitted_classes_on_host(self)
        fitted_kind = _target_kind(self.out_activation_, self.n_outputs_)
        given_kind = _target_kind(targets.out_activation, targets.n_outputs)
        if fitted_kind != given_kind or not np.array_equal(previous, targets.classes):
            raise ValueError(
                "warm_start=True needs the same classes as the previous fit: "
                f"fitted on {fitted_kind} targets with classes "
                f"{previous.tolist()}, now given {given_kind} targets with "
                f"classes {targets.classes.tolist()}."
            )
        if self.W1_.shape[0] != layout.n_hidden:
            raise ValueError(
                "warm_start=True needs the same n_hidden as the previous fit "
                f"({self.W1_.shape[0]}), got n_hidden={layout.n_hidden}."
            )
        return _prediction.fitted_theta_on_host(self, np.float64)

    def _fitted_attributes(self, targets, layout, result, dtype, monitor):
        """Every fitted attribute of a solver result, or an error for a bad one."""
        if not np.all(np.isfinite(result.theta)) or not np.isfinite(result.loss):
            raise ValueError(
                f"solver={self.solver!r} produced non-finite weights or loss; scale "
                "the input features (e.g. with StandardScaler) or increase alpha."
            )
        weights = layout.unpack(result.theta.astype(dtype))
        return {
            "classes_": targets.classes,
            "out_activation_": targets.out_activation,
            "n_outputs_": layout.n_outputs,
            **dict(zip(_prediction.WEIGHTS, weights, strict=True)),
            "n_iter_": result.n_iter,
            "loss_": result.loss,
            "loss_curve_": result.loss_curve,
            "validation_loss_curve_": monitor.curve if monitor else None,
            "best_validation_loss_": monitor.best_loss if monitor else None,
            "best_iteration_": monitor.best_iteration if monitor else None,
        }

    def _training_problem(self, X, y, sample_weight=None):
        """``(X, Y, weights, loss)`` of an in-memory fit: the arrays the objective
        reads, for gradient checks, tests and benchmarks. Sets ``n_features_in_``."""
        _, rows = backend_for(X).training_rows(
            self, X, y, sample_weight, reset=True, n_hidden=int(self.n_hidden)
        )
        return rows.X, rows.Y, rows.sample_weight, rows.loss

    # -- prediction --------------------------------------------------------------
    def _predict_rows(self, X, function, method, **kwargs):
        """``function(fitted network, validated X)`` wherever X lives; the state read
        once (:meth:`_snapshot`), so a concurrent refit cannot mix two models."""
        state = self._snapshot()
        check_is_fitted(state)
        backend = backend_for(X)
        X = backend.prediction_input(state, X, method)
        fitted = _prediction.fitted_network(state, X)
        dtype, shape = fitted.result(method, X.dtype)
        return backend.map_rows(
            functools.partial(function, fitted, **kwargs), X, dtype=dtype, shape=shape
        )

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
        return self._predict_rows(X, _prediction.decision_function, "decision_function")

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
        return self._predict_rows(X, _prediction.predict_proba, "predict_proba")

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed from the logits.

        Log-sigmoid / log-softmax: finite where the probability underflows to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            float64, as :meth:`predict_proba`.
        """
        return self._predict_rows(X, _prediction.predict_log_proba, "predict_log_proba")

    def predict(self, X):
        """Predicted class labels (a 0/1 indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._predict_rows(X, _prediction.predict, "predict")

    # -- the hidden layer as features -----------------------------------------------
    def transform(self, X):
        """Hidden activations ``h1 = σ(b1 + W1 x)`` of each sample (eq. 1.1).

        The representation the output layer reads, as features for another model
        (also as a ``Pipeline`` step); ``set_output`` can make it a data frame.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_hidden)
            Values in (0, 1), in the dtype of ``X``. On a Dask array, a lazy Dask
            array (a pandas or polars output, which would compute it, is refused);
            under array API dispatch, in X's namespace and on its device.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_twolayer import TwoLayerSigmoidClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y)
        >>> clf.transform(X[:3]).shape
        (3, 2)
        >>> clf.get_feature_names_out()
        array(['twolayersigmoidclassifier0', 'twolayersigmoidclassifier1'],
              dtype=object)
        """
        return self._predict_rows(X, _prediction.transform, "transform")

    @property
    def _n_features_out(self):
        """Number of hidden units: the columns of :meth:`transform`'s output."""
        return self.W1_.shape[0]

    # -- explanation: the input gradient -----------------------------------------
    def input_gradient(self, X, *, output="proba"):
        """Exact gradient of the prediction with respect to each input feature.

        Section 2.2.2's derivative of a sigmoid unit carried through the network by
        the chain rule, ``∂a2/∂x = W2 diag(h1 ⊙ (1 − h1)) W1`` for the logits, in
        closed form (derived, with its cost, in :ref:`user_guide`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples at which to differentiate.
        output : {"proba", "logit"}, default="proba"
            ``"proba"``: the derivative of :meth:`predict_proba`; for binary targets
            that of the probability of ``classes_[1]``. ``"logit"``: the derivative
            of :meth:`decision_function`.

        Returns
        -------
        ndarray of shape (n_samples, n_features) for binary targets, else \
(n_samples, n_outputs, n_features)
            Entry ``[i, k, j]`` (``[i, j]`` for binary targets) is the derivative of
            output k (class or label k) of sample i with respect to its feature j, in
            the dtype of ``X``; on a Dask array, a lazy Dask array.

        Examples
        --------
        Section 2.2.2's worked example, ``w = [2, -3, -3]`` at ``x = [-1, -2, 1]``,
        as a network with one hidden unit whose logit is that unit's output:

        >>> import numpy as np
        >>> from sklearn_twolayer import TwoLayerSigmoidClassifier
        >>> clf = TwoLayerSigmoidClassifier(n_hidden=1)
        >>> clf.W1_, clf.b1_ = np.array([[2.0, -3.0, -3.0]]), np.zeros(1)
        >>> clf.W2_, clf.b2_ = np.array([[1.0]]), np.zeros(1)
        >>> clf.classes_, clf.n_features_in_ = np.array([0, 1]), 3
        >>> clf.n_outputs_, clf.out_activation_ = 1, "logistic"
        >>> clf.input_gradient([[-1.0, -2.0, 1.0]], output="logit").round(4)
        array([[ 0.3932, -0.5898, -0.5898]])
        """
        if not (isinstance(output, str) and output in ("proba", "logit")):
            raise InvalidParameterError(
                "The 'output' parameter of input_gradient must be 'proba' or "
                f"'logit'; got {output!r}."
            )
        return self._predict_rows(
            X, _prediction.input_gradient, "input_gradient", output=output
        )


_INTEGER_PARAMETERS = ("n_hidden", "max_iter", "max_fun", "n_iter_no_change", "verbose")


def _integer_parameters(estimator):
    """The integer parameters as Python ints; reject a bool given for a count.

    A NumPy integer overflows in array-size arithmetic (``rows * n_hidden`` in int8),
    so ``fit`` uses the Python int and leaves the parameter as given. ``verbose`` may
    be a bool, as scikit-learn's ``"verbose"`` constraint allows.
    """
    counts = {}
    for name in _INTEGER_PARAMETERS:
        value = getattr(estimator, name)
        if isinstance(value, bool) and name != "verbose":
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be an "
                f"int in the range [1, inf), not a bool. Got {value!r} instead."
            )
        counts[name] = int(value)
    return counts


_FLOAT_PARAMETERS = ("alpha", "tol", "validation_fraction")


def _float_parameters(estimator):
    """The float parameters as Python floats, the parameters left as given: a NumPy
    float takes the other operand down to its precision (a float16 ``alpha``: a
    float16 objective, and the L2 guard's 1e100 ``inf``)."""
    floats = {}
    for name in _FLOAT_PARAMETERS:
        value = getattr(estimator, name)
        try:
            floats[name] = float(value)
        except OverflowError:  # a Python int beyond float64's range: "inf"
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} is an int "
                "beyond the largest float64 (1.8e308), too large to compute with."
            ) from None
    return floats


def _target_kind(out_activation, n_outputs):
    """``"binary"``, ``"multiclass"`` or ``"multilabel"``: what the output is for."""
    if out_activation == "softmax":
        return "multiclass"
    return "binary" if n_outputs == 1 else "multilabel"


# The largest alpha / Σ s_i the solvers carry: the gradient and Hessian products
# scale with it and are multiplied together (trust-ncg's overflowed at 6.7e117 on
# iris). Far beyond the ratio that drives every weight to 0 (about 1e3).
_MAX_L2_PER_WEIGHT = 1e100


def _check_l2_per_weight(alpha, weight_sum):
    """Reject an ``alpha / Σ s_i`` (a huge ``alpha`` or tiny weights) too strong for
    the solvers' float64 arithmetic."""
    # In float64 (a float16 ratio would compare with the limit cast to inf).
    alpha, weight_sum = float(alpha), float(weight_sum)
    l2_per_weight = alpha / weight_sum
    if not l2_per_weight <= _MAX_L2_PER_WEIGHT:
        raise ValueError(
            f"alpha / (sum of the sample weights times the class weights) is "
            f"{l2_per_weight:.3g} (alpha={alpha:.3g}, weights summing to "
            f"{weight_sum:.3g}), beyond {_MAX_L2_PER_WEIGHT:.0e}: the L2 term "
            "would overwhelm the data and overflow the solver. Lower alpha, or "
            "scale sample_weight up (the objective divides alpha by their sum)."
        )


def _validation_rows(estimator, backend, targets, X_val, y_val, sample_weight_val):
    """The rows of ``fit``'s validation set, validated and encoded as training rows
    against the fit's features and targets; errors prefixed by where they were."""
    try:
        return backend.training_rows(
            _feature_names_checked(estimator, X_val),
            X_val,
            y_val,
            sample_weight_val,
            reset=False,
            n_hidden=int(estimator.n_hidden),
            targets=targets,
        )[1]
    except (ValueError, TypeError) as error:
        if type(error) not in (ValueError, TypeError):  # a subclass: kept as is
            raise
        raise type(error)(f"{VALIDATION_SET}{error}") from error


def _feature_names_checked(estimator, X_val):
    """The estimator to validate ``X_val`` against. Where only one of ``X`` and
    ``X_val`` has feature names, scikit-learn's warning would call the rows "X": it
    is given here, and a copy with ``X_val``'s names passes the check silently."""
    fitted = getattr(estimator, "feature_names_in_", None)
    given = _get_feature_names(X_val)
    if (fitted is None) == (given is None):
        return estimator
    name = type(estimator).__name__
    warnings.warn(
        VALIDATION_SET
        + (
            f"X_val has feature names, but {name} was fitted without feature names"
            if given is not None
            else f"X_val does not have valid feature names, but {name} was fitted "
            "with feature names"
        ),
        UserWarning,
        # The caller of fit (_fit_context's wrapper -> fit -> _fit_and_assign ->
        # _fit -> _validation_rows -> here).
        stacklevel=7,
    )
    checked = estimator._snapshot()
    checked.__dict__.pop("feature_names_in_", None)
    if given is not None:
        checked.feature_names_in_ = given
    return checked


def _glorot_start(layout, random_state):
    """Glorot-uniform start vector, drawn as ``MLPClassifier`` draws it: per layer
    the (fan_in, fan_out) coefficients, W1 or W2 transposed, then the intercepts."""
    d, h, k = layout.n_features, layout.n_hidden, layout.n_outputs
    draws = []
    for fan_in, fan_out in ((d, h), (h, k)):
        bound = np.sqrt(2.0 / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = random_state.uniform(-bound, bound, fan_out)
        draws += [coef.T, intercept]
    return layout.pack(*draws)  # float64, as the draws are
