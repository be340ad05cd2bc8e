"""The cross-validation estimator ``TwoLayerSigmoidClassifierCV``.

``LogisticRegressionCV``'s warm-started path for the network. Every fit is a
:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier` fit, so it takes every input
the estimator takes.
"""

import copy
import numbers
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.metrics import (
    check_scoring,
    get_scorer,
    get_scorer_names,
    log_loss,
    make_scorer,
)
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import _safe_split
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, indexable

from ._backends import backend_for, is_dask_collection
from ._backends._kinds import is_device_array
from ._classifier import TwoLayerSigmoidClassifier, _target_kind
from ._sklearn_compat import CALLBACK_API_VERSION, move_to, sklearn_at_least
from .network import per_sample_loss, widest_float

# The grid of an integer ``alphas``: the best alpha lay between 1 and 10 on real tabular
# data (docs/real_data.rst), near 1e-4 on nearly separable data.
STRONGEST_ALPHA = 10.0
WEAKEST_ALPHA = 1e-4

# Passed on to every fit. Not offered: ``alpha``, ``warm_start`` and early stopping
# (the folds choose the regularization; a point stopped on another held-out part
# would depend on its stopping iteration, not on alpha). ``tol`` is not loosened on
# the path: at 10 * tol whole paths stalled at their first alpha (no step is taken
# from a warm start that meets it).
_NETWORK_PARAMETERS = (
    "n_hidden",
    "max_iter",
    "tol",
    "max_fun",
    "solver",
    "class_weight",
    "random_state",
    "verbose",
)
_COUNTS = ("n_hidden", "max_iter", "max_fun", "n_alphas_no_change")


def _label_log_loss(Y, A2, sample_weight=None):
    """Mean over the rows of the summed binary cross-entropy of every label (eq. 1.1
    per label, from the logits ``A2``): a multilabel loss, which ``log_loss``, reading
    a row as one distribution, does not compute."""
    Y, A2 = (np.asarray(_host(a), dtype=np.float64) for a in (Y, A2))
    losses = per_sample_loss(A2, Y, "sigmoid")
    weights = None if sample_weight is None else np.asarray(_host(sample_weight))
    return float(np.average(losses, weights=weights))


def _host(array):
    """A Dask or array-API array as a host NumPy array; others as they are."""
    if is_dask_collection(array):
        return array.compute()
    if is_device_array(array):
        return move_to(array, xp=np, device="cpu")
    return array


def _negative_log_loss(estimator, X, y, sample_weight=None):
    """``neg_log_loss`` over the classes of ``estimator``: the scorer infers them
    from ``y`` (failing on a fold of one class), and its binary case picks a column
    on the host (failing for classes on an array-API device)."""
    return -log_loss(
        y,
        estimator.predict_proba(X),
        labels=estimator.classes_,  # in y's namespace, as log_loss compares them
        sample_weight=sample_weight,
    )


def _default_scorer(target_kind):
    """The negative log-loss; for multilabel targets summed over the labels."""
    if target_kind == "multilabel":
        return make_scorer(
            _label_log_loss,
            response_method="decision_function",
            greater_is_better=False,
        )
    return _negative_log_loss


def alpha_grid(n_alphas):
    """The ``alphas`` of an integer: log-spaced from strongest to weakest.

    Examples
    --------
    >>> from sklearn_twolayer._cv import alpha_grid
    >>> alpha_grid(6)
    array([1.e+01, 1.e+00, 1.e-01, 1.e-02, 1.e-03, 1.e-04])
    """
    return np.logspace(
        np.log10(STRONGEST_ALPHA), np.log10(WEAKEST_ALPHA), int(n_alphas)
    )


def _checked_alphas(alphas):
    """The path's alphas, strongest first, distinct: from an int or a sequence."""
    if isinstance(alphas, Integral) and not isinstance(alphas, bool):
        return alpha_grid(alphas)
    if isinstance(alphas, (str, bool)) or isinstance(alphas, numbers.Number):
        raise InvalidParameterError(
            "The 'alphas' parameter of TwoLayerSigmoidClassifierCV must be an int in "
            f"the range [1, inf) or a sequence of floats; got {alphas!r}."
        )
    try:
        values = np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidParameterError(
            "The 'alphas' parameter of TwoLayerSigmoidClassifierCV must be a "
            f"sequence of non-negative floats; got {alphas!r}."
        ) from error
    if values.ndim != 1 or values.size == 0:
        raise InvalidParameterError(
            "The 'alphas' parameter of TwoLayerSigmoidClassifierCV must be a "
            f"non-empty 1-D sequence of floats; got shape {values.shape}."
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InvalidParameterError(
            "The 'alphas' parameter of TwoLayerSigmoidClassifierCV must hold finite, "
            f"non-negative floats; got {values.tolist()}."
        )
    return np.unique(values)[::-1].copy()  # strongest first


class TwoLayerSigmoidClassifierCV(TwoLayerSigmoidClassifier):
    """Two-layer sigmoid network whose L2 strength ``alpha`` is chosen by
    cross-validation along a warm-started regularization path.

    As :class:`~sklearn.linear_model.LogisticRegressionCV`: in each fold of ``cv``
    the network is fitted at every ``alpha``, strongest first, each fit starting
    from the previous alpha's solution, and scored on the fold's validation rows,
    the folds together until one has not improved for ``n_alphas_no_change``
    alphas. ``alpha_`` has the best mean score; with ``refit=True`` the network is
    refitted on all the data there. This costs a fraction of a ``GridSearchCV`` over
    the same alphas (:ref:`real_data`). The fitted estimator is that network, with
    every attribute and method of :class:`~sklearn_twolayer.TwoLayerSigmoidClassifier`.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden sigmoid units.
    alphas : int or array-like of float, default=11
        The L2 strengths to try: an int ``n`` gives ``n`` values log-spaced from 10
        down to 1e-4 (on real tabular data the best usually lies between 1 and 10,
        near 1e-4 on nearly separable data); a sequence is tried from its largest
        value down, duplicates once, as ``alphas_`` holds them.
    cv : int, cross-validation generator or iterable, default=5
        The folds, as in ``LogisticRegressionCV``: an int is the number of folds of
        a ``StratifiedKFold`` (``KFold`` for multilabel targets); a splitter or an
        iterable of ``(train, test)`` index arrays is used as it is.
    scoring : str or callable, default=None
        The validation score to maximise, and :meth:`score`'s: a scoring name or a
        ``scorer(estimator, X, y)``. None: ``"neg_log_loss"`` (for multilabel
        targets, summed over the labels).
    n_alphas_no_change : int or None, default=1
        The paths all end once a fold has had this many alphas in a row without
        beating its best score (past its best, a weaker penalty only overfits
        more); by default at the first that scores worse. None: every alpha is fitted.
    refit : bool, default=True
        If True, refit on all the data at ``alpha_`` from the paths' random start:
        the fit of ``TwoLayerSigmoidClassifier(alpha=alpha_)`` with these parameters.
        If False, average the logits of the folds' networks at ``alpha_`` (as
        ``LogisticRegressionCV(refit=False)`` averages coefficients): one network of
        the folds' hidden layers side by side (``n_folds * n_hidden`` units), with
        no ``loss_`` or ``loss_curve_``.
    n_jobs : int, default=None
        Number of folds fitted in parallel through joblib. None means 1 unless in
        a :obj:`joblib.parallel_backend` context; -1 means all processors.
        Processes, or threads on Dask input (on the process's Dask scheduler).
    max_iter : int, default=200
        Maximum number of solver iterations of each fit; the path's first, from the
        random start, takes at most half (the next alpha goes on from there).
    tol : float, default=1e-4
        Tolerance on the gradient's max-norm of each fit.
    max_fun : int, default=15000
        Maximum number of objective-and-gradient evaluations of each fit.
    solver : {"lbfgs", "trust-ncg"}, default="lbfgs"
        The solver of each fit (:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier`).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in every fit, ``"balanced"`` from each fit's own rows
        (as in ``GridSearchCV``); the default scoring weighs validation rows by sample
        weight only, as ``LogisticRegressionCV`` does.
    random_state : int, RandomState instance or None, default=None
        Seeds the one random start of every path and of the refit (an int itself,
        else an int drawn once per ``fit``), so ``n_jobs`` changes nothing. An int
        ``cv``'s folds are not shuffled (pass a splitter to shuffle).
    verbose : int, default=0
        If positive, print each path point's validation score; passed to every fit.

    Attributes
    ----------
    alpha_ : float
        The alpha of the best mean validation score (the strongest on a tie).
    alphas_ : ndarray of shape (n_alphas,)
        The alphas of the path, strongest first.
    scores_ : ndarray of shape (n_folds, n_alphas)
        The validation score of each fold at each alpha; ``-inf`` in every fold at
        the alphas the paths did not reach, which are never chosen.
    path_n_iter_ : ndarray of shape (n_folds, n_alphas)
        Solver iterations of each fold's fit at each alpha (``LogisticRegressionCV``'s
        ``n_iter_``); -1 where the path did not reach it, 0 where the previous
        alpha's solution already met ``tol``.
    n_iter_ : int
        Solver iterations of the refit (one number, as a transformer's); with
        ``refit=False``, the most of a fold's fit at ``alpha_``.
    classes_, W1_, b1_, W2_, b2_, n_outputs_, out_activation_ : see \
:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier`
        The fitted network's.
    loss_, loss_curve_ : float and list of float
        The refit's objective at its end and after each iteration (absent with
        ``refit=False``).
    validation_loss_curve_, best_validation_loss_, best_iteration_ : None
        As for the estimator without early stopping.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    TwoLayerSigmoidClassifier : The network at one given ``alpha``.
    sklearn.linear_model.LogisticRegressionCV : The same idea for the linear model.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_twolayer import TwoLayerSigmoidClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     TwoLayerSigmoidClassifierCV(n_hidden=8, cv=3, random_state=0),
    ... ).fit(X, y)
    >>> cv = clf[-1]
    >>> cv.scores_.shape  # 3 folds, 11 alphas
    (3, 11)
    >>> bool(cv.alpha_ == cv.alphas_[cv.scores_.mean(axis=0).argmax()])
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **{
            name: TwoLayerSigmoidClassifier._parameter_constraints[name]
            for name in _NETWORK_PARAMETERS
        },
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_alphas_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        n_hidden=100,
        *,
        alphas=11,
        cv=5,
        scoring=None,
        n_alphas_no_change=1,
        refit=True,
        n_jobs=None,
        max_iter=200,
        tol=1e-4,
        max_fun=15000,
        solver="lbfgs",
        class_weight=None,
        random_state=None,
        verbose=0,
    ):
        self.n_hidden = n_hidden
        self.alphas = alphas
        self.cv = cv
        self.scoring = scoring
        self.n_alphas_no_change = n_alphas_no_change
        self.refit = refit
        self.n_jobs = n_jobs
        self.max_iter = max_iter
        self.tol = tol
        self.max_fun = max_fun
        self.solver = solver
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting -----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Choose ``alpha`` along each fold's path, then refit at ``alpha_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: anything :meth:`TwoLayerSigmoidClassifier.fit
            <sklearn_twolayer.TwoLayerSigmoidClassifier.fit>` takes.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples (a weight of k acts as k copies), for
            each fold's fits and its validation score.
        **params : dict
            With metadata routing enabled, parameters routed to the splitter
            (``groups``, ...) and the scorer.

        Returns
        -------
        self : TwoLayerSigmoidClassifierCV
            The fitted estimator.
        """
        _raise_for_params(params, self, "fit")
        for name in _COUNTS:  # a bool is an Integral, never a count
            if isinstance(getattr(self, name), bool):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be an int "
                    f"in the range [1, inf), not a bool. Got {getattr(self, name)!r}."
                )
        alphas = _checked_alphas(self.alphas)
        network = self._network()
        # The whole input validated once: bad input gets the estimator's message.
        backend = backend_for(X)
        checker = clone(network)
        targets, _ = backend.training_rows(
            checker, X, y, sample_weight, reset=True, n_hidden=int(self.n_hidden)
        )
        target_kind = _target_kind(targets.out_activation, targets.n_outputs)
        scorer = self._scorer(target_kind)
        routed = self._routed_params(sample_weight, params)
        X, y = indexable(X, y)
        y_host = _host(y)
        folds = list(
            check_cv(self.cv, y_host, classifier=True).split(
                X, y_host, **routed.splitter.split
            )
        )
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}

        context = None
        if sklearn_at_least(CALLBACK_API_VERSION):
            context = self._init_callback_context(
                max_subtasks=len(folds) + bool(self.refit)
            )
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        if context is not None:
            context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
            fold_contexts = [
                context.subcontext(task_name="fold", max_subtasks=len(alphas))
                for _ in folds
            ]
        else:
            fold_contexts = [None] * len(folds)

        parallel = Parallel(
            n_jobs=self.n_jobs,
            prefer="threads" if backend.__name__.endswith(".dask") else "processes",
        )
        paths = _lockstep_paths(
            parallel,
            network,
            X,
            y,
            folds,
            alphas,
            scorer,
            fit_params,
            routed.scorer.score,
            self.n_alphas_no_change,
            caller=self,
            contexts=fold_contexts,
        )
        scores = np.array([path.scores for path in paths])
        mean_scores = np.where(np.isnan(scores), -np.inf, scores).mean(axis=0)
        best = int(np.argmax(mean_scores))
        alpha = float(alphas[best])

        fitted = {"alphas_": alphas, "scores_": scores, "alpha_": alpha}
        if self.refit:
            final = self._refit(
                network.set_params(alpha=alpha), X, y, fit_params, context, metadata
            )
            fitted.update(_fitted_attributes_of(final))
        else:
            fitted.update(_averaged_network([path.networks[best] for path in paths]))
            fitted["n_iter_"] = max(int(path.n_iter[best]) for path in paths)
        # On an array-API device, in X's namespace as every fitted array is.
        for name, value in (
            ("alphas_", alphas),
            ("scores_", scores),
            ("path_n_iter_", np.array([path.n_iter for path in paths])),
        ):
            fitted[name] = _like(fitted["W1_"], value)
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(checker, name):
                fitted[name] = getattr(checker, name)
        self._assign_fitted(fitted)
        if context is not None:
            context.call_on_fit_task_end(
                estimator=self,
                X=X,
                y=y,
                metadata=metadata,
                reconstruction_attributes={},
            )
        return self

    def _network(self):
        """The estimator of every fit: these parameters, one int seed for all (an int
        ``random_state`` itself, so the refit is the plain estimator's fit)."""
        seed = self.random_state
        if not isinstance(seed, Integral):
            seed = check_random_state(seed).randint(np.iinfo(np.int32).max)
        return TwoLayerSigmoidClassifier(
            **{name: getattr(self, name) for name in _NETWORK_PARAMETERS}
        ).set_params(random_state=seed)

    def _refit(self, network, X, y, fit_params, context, metadata):
        """The network fitted on all of X at ``alpha_`` from the paths' random start:
        warm-started from the path or a fold's solution, it was 1-2 % worse in test
        log-loss on real data (OJ, cells)."""
        final = clone(network)
        if context is None:
            return final.fit(X, y, **fit_params)
        refit_context = context.subcontext(task_name="refit")
        with refit_context.propagate_callback_context(final):
            refit_context.call_on_fit_task_begin(
                estimator=self, X=X, y=y, metadata=metadata
            )
            final.fit(X, y, **fit_params)
        refit_context.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)
        return final

    def _scorer(self, target_kind):
        if self.scoring is None:
            return _default_scorer(target_kind)
        return check_scoring(self, scoring=self.scoring)

    def _routed_params(self, sample_weight, params):
        if _routing_enabled():
            return process_routing(self, "fit", sample_weight=sample_weight, **params)
        score = dict(params)
        if sample_weight is not None:
            score["sample_weight"] = sample_weight
        return Bunch(splitter=Bunch(split={}), scorer=Bunch(score=score))

    # -- scoring -----------------------------------------------------------------
    def score(self, X, y, sample_weight=None, **score_params):
        """The ``scoring`` of ``X`` and ``y`` (by default the negative log-loss).

        As :meth:`sklearn.linear_model.LogisticRegressionCV.score`: the score that
        chose ``alpha_``, higher is better.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
        **score_params : dict
            With metadata routing enabled, parameters routed to the scorer.

        Returns
        -------
        score : float
        """
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        if _routing_enabled():
            score_params = process_routing(self, "score", **score_params).scorer.score
        kind = _target_kind(self.out_activation_, self.n_outputs_)
        return self._scorer(kind)(self, X, y, **score_params)

    def get_metadata_routing(self):
        """Get metadata routing of this object (the splitter's and the scorer's).

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter` encapsulating
            routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                # The default scorer requests what neg_log_loss's requests.
                scorer=get_scorer("neg_log_loss")
                if self.scoring is None
                else self._scorer("binary"),
                method_mapping=MethodMapping()
                .add(caller="score", callee="score")
                .add(caller="fit", callee="score"),
            )
        )


class _FoldPath:
    """One fold's path: its scores, iterations and networks at each alpha."""

    def __init__(self, n_alphas):
        self.scores = np.full(n_alphas, -np.inf)
        self.n_iter = np.full(n_alphas, -1, dtype=np.int64)
        self.networks = [None] * n_alphas


def _lockstep_paths(
    parallel,
    network,
    X,
    y,
    folds,
    alphas,
    scorer,
    fit_params,
    score_params,
    n_alphas_no_change,
    *,
    caller,
    contexts,
):
    """Every fold's warm-started path, one alpha at a time across the folds, so the
    paths end together (patience or a callback's stop) and no fold fits an alpha that
    could not be chosen; ``alpha_`` is the one paths ended each alone would choose."""
    paths = [_FoldPath(len(alphas)) for _ in folds]
    networks = [clone(network) for _ in folds]
    best, since_best = [-np.inf] * len(folds), [0] * len(folds)
    for index, alpha in enumerate(alphas):
        points = parallel(
            delayed(_path_point)(
                networks[fold],
                X,
                y,
                train,
                test,
                float(alpha),
                index,
                scorer,
                fit_params,
                score_params,
                caller=caller,
                context=context,
                fold=fold,
            )
            for fold, ((train, test), context) in enumerate(
                zip(folds, contexts, strict=True)
            )
        )
        stop = False
        for fold, (fitted, score, stop_asked) in enumerate(points):
            networks[fold] = fitted
            path = paths[fold]
            path.scores[index] = score
            path.n_iter[index] = fitted.n_iter_
            path.networks[index] = copy.copy(fitted)  # a fit assigns a new state
            stop = stop or stop_asked
        for fold, path in enumerate(paths):
            if path.scores[index] > best[fold]:
                best[fold], since_best[fold] = path.scores[index], 0
            else:
                since_best[fold] += 1
        patience_over = n_alphas_no_change is not None and any(
            since >= n_alphas_no_change for since in since_best
        )
        if stop or patience_over:
            break
    for (train, _), context in zip(folds, contexts, strict=True):
        if context is not None:
            X_train, y_train = _safe_split(network, X, y, train)
            context.call_on_fit_task_end(
                estimator=caller,
                X=X_train,
                y=y_train,
                metadata=_check_method_params(X, params=fit_params, indices=train)
                or None,
            )
    for path in paths:  # no callbacks travel back with the networks
        for network_at in path.networks:
            if network_at is not None:
                network_at.__dict__.pop("_skl_callbacks", None)
    return paths


def _path_point(
    network,
    X,
    y,
    train,
    test,
    alpha,
    index,
    scorer,
    fit_params,
    score_params,
    *,
    caller,
    context,
    fold,
):
    """One fold's fit at ``alpha`` (from the previous alpha's solution after the
    first, which takes at most half of ``max_iter``), and its validation score;
    with whether a callback asks to stop."""
    X_train, y_train = _safe_split(network, X, y, train)
    X_test, y_test = _safe_split(network, X, y, test, train)
    fit_params = _check_method_params(X, params=fit_params, indices=train)
    score_params = _check_method_params(X, params=score_params, indices=test)
    metadata = fit_params or None
    network.set_params(alpha=alpha, warm_start=index > 0)
    # The first fit, from the random start, is only a start and a score: half of
    # max_iter (the path goes on from where it ends; the refit gets all of it).
    max_iter = network.max_iter
    if index == 0:
        network.set_params(max_iter=max(1, max_iter // 2))
    stop = False
    if context is None:
        network.fit(X_train, y_train, **fit_params)
    else:
        if index == 0:
            context.call_on_fit_task_begin(
                estimator=caller, X=X_train, y=y_train, metadata=metadata
            )
        point = context.subcontext(task_name="alpha")
        with point.propagate_callback_context(network):
            point.call_on_fit_task_begin(
                estimator=caller, X=X_train, y=y_train, metadata=metadata
            )
            network.fit(X_train, y_train, **fit_params)
        stop = point.call_on_fit_task_end(
            estimator=caller,
            X=X_train,
            y=y_train,
            metadata=metadata,
            reconstruction_attributes=_fitted_attributes_of(network),
        )
    network.set_params(max_iter=max_iter)
    score = float(scorer(network, X_test, y_test, **score_params))
    if network.verbose > 0:
        print(
            f"[fold {fold}] alpha={alpha:.4g}: validation score {score:.6g} "
            f"({network.n_iter_} iterations)"
        )
    return network, score, bool(stop)


def _fitted_attributes_of(network):
    """A fitted network's public fitted attributes."""
    return {
        name: value
        for name, value in vars(network).items()
        if name.endswith("_") and not name.startswith("_")
    }


def _averaged_network(networks):
    """The network whose logits are the mean of ``networks``' logits: the hidden
    layers side by side, output weights divided by their number, biases averaged."""
    n = len(networks)
    hosts = [
        [np.asarray(_host(getattr(net, name))) for name in ("W1_", "b1_", "W2_", "b2_")]
        for net in networks
    ]
    W1 = np.concatenate([h[0] for h in hosts], axis=0)
    b1 = np.concatenate([h[1] for h in hosts])
    W2 = np.concatenate([h[2] for h in hosts], axis=1) / n
    b2 = np.mean([h[3] for h in hosts], axis=0).astype(hosts[0][3].dtype)
    first = networks[0]
    like = first.W1_
    attributes = {
        "classes_": first.classes_,
        "out_activation_": first.out_activation_,
        "n_outputs_": first.n_outputs_,
        "validation_loss_curve_": None,
        "best_validation_loss_": None,
        "best_iteration_": None,
    }
    for name, value in zip(("W1_", "b1_", "W2_", "b2_"), (W1, b1, W2, b2), strict=True):
        attributes[name] = _like(like, value.astype(hosts[0][0].dtype))
    return attributes


def _like(reference, array):
    """``array`` (host NumPy) in the namespace and on the device of ``reference``;
    floats in the widest float there (float32 on a device without float64)."""
    if not is_device_array(reference):
        return array
    from sklearn.utils._array_api import get_namespace_and_device

    xp, _, device = get_namespace_and_device(reference)
    if array.dtype.kind == "f":
        return xp.asarray(array, dtype=widest_float(xp, device), device=device)
    return xp.asarray(array, device=device)


# The public name, as for the network: what a saved model records.
TwoLayerSigmoidClassifierCV.__module__ = "sklearn_twolayer"
