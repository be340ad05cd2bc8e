"""scikit-learn's callback API (``sklearn.callback``) for the estimator's fit.

The fit is a task named ``"fit"`` whose subtasks are the solver's iterations, one
``"iteration"`` subtask per iteration of L-BFGS or trust-ncg (a rejected
trust-region step is an iteration too), so a ``ProgressBar`` moves with the solver
and a ``ScoringMonitor`` scores the model of every iteration. The solver knows
nothing of scikit-learn: it calls an :class:`~sklearn_twolayer._solver.
IterationCallback`, and :class:`_IterationBridge` turns those calls into the
callback context's hooks.

Every hook gets the ``X`` and ``y`` given to ``fit`` and ``metadata={"sample_weight":
...}`` when weights were given. The model of an iteration (``fitted_estimator`` in
the hooks) is built only when a callback asks for it: the reconstruction attributes
are a callable, so callbacks that score nothing (a ``ProgressBar``) never cause an
intermediate model to be built. Without callbacks the solver gets no hook at all.
"""

import numpy as np

from ._prediction import WEIGHTS
from ._sklearn_compat import CALLBACK_API_VERSION, require_sklearn, sklearn_at_least
from ._solver import IterationCallback


class CallbackSupportMixin:
    """``set_callbacks`` for the estimator: scikit-learn's mixin, imported when used.

    ``sklearn.callback.CallbackSupportMixin`` does the work; importing it when the
    estimator's module is imported would import ``sklearn.callback`` and, through
    its ``ProgressBar``, ``rich``, which ``import sklearn_twolayer`` must not. Its
    two methods are forwarded, unchanged, at their first call.
    """

    def set_callbacks(self, *callbacks):
        """Set callbacks for the estimator (scikit-learn's callback API).

        Callbacks are called during ``fit``: once for the fit task and once for
        each solver iteration, which is a subtask of it. A callback whose
        ``on_fit_task_end`` returns True stops the fit after that iteration.

        Parameters
        ----------
        *callbacks : callback instances
            Objects following ``sklearn.callback.FitCallback``, such as
            ``sklearn.callback.ProgressBar`` or ``ScoringMonitor``. A single
            None, or no argument, removes the callbacks.

        Returns
        -------
        self : estimator instance
            The estimator instance itself.

        Raises
        ------
        ImportError
            With scikit-learn older than 1.9, which has no callback API.
        """
        require_sklearn(CALLBACK_API_VERSION, "set_callbacks (sklearn.callback)")
        from sklearn.callback import CallbackSupportMixin

        if len(callbacks) == 1 and callbacks[0] is None:
            # scikit-learn's own removes them with no argument only, and calls a
            # None "not following the FitCallback protocol"
            callbacks = ()
        return CallbackSupportMixin.set_callbacks(self, *callbacks)

    def _init_callback_context(self, *args, **kwargs):
        from sklearn.callback import CallbackSupportMixin

        return CallbackSupportMixin._init_callback_context(self, *args, **kwargs)


def parameters_as_attributes(layout, dtype, **fixed):
    """``theta -> dict`` of the fitted attributes, for the reconstruction attributes.

    The model of an iteration is a ``copy.copy`` of the estimator during ``fit``,
    which holds none of this fit's attributes (the fit assigns them all at its end,
    those of validation included): ``fixed`` (the classes, the output unit,
    ``n_features_in_`` and ``feature_names_in_``) and the parameters, in the
    training dtype, make it this fit's model.
    """

    def attributes(theta):
        weights = layout.unpack(np.array(theta, dtype=dtype))
        return {
            **fixed,
            **dict(zip(WEIGHTS, weights, strict=True)),
            "n_outputs_": layout.n_outputs,
        }

    return attributes


class FitCallbacks:
    """The callback context of one fit: its begin and end, and the solver's bridge.

    Created at the start of ``fit``, which sets the callbacks up; :meth:`begin`
    calls ``on_fit_task_begin`` for the fit task once the input is validated.

    Parameters
    ----------
    estimator : TwoLayerSigmoidClassifier
        The estimator being fitted (it holds the callbacks).
    X, y : array-like
        The data given to ``fit``, passed on to every hook.
    sample_weight : array-like or None
        Passed on as ``metadata={"sample_weight": sample_weight}``.
    max_iter : int
        The most iterations the fit can run: the fit task's ``max_subtasks``.

    Examples
    --------
    A ``ScoringMonitor`` logs the fit and each iteration; a callback whose
    ``on_fit_task_end`` returns True stops the fit after that iteration:

    >>> import numpy as np
    >>> from sklearn.callback import ScoringMonitor
    >>> from sklearn_twolayer import TwoLayerSigmoidClassifier
    >>> class StopAfter:
    ...     def __init__(self, n_iter):
    ...         self.n_iter = n_iter
    ...     def setup(self, estimator, context): pass
    ...     def teardown(self, estimator, context): pass
    ...     def on_fit_task_begin(self, estimator, context): pass
    ...     def on_fit_task_end(self, estimator, context):
    ...         return context.task_name == "iteration" and (
    ...             context.task_id + 1 == self.n_iter
    ...         )
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> monitor = ScoringMonitor(scoring="accuracy")
    >>> clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    >>> clf = clf.set_callbacks(monitor, StopAfter(5)).fit(X, y)
    >>> clf.n_iter_
    5
    >>> [row["task_name"] for row in monitor.get_logs().data]
    ['fit', 'iteration', 'iteration', 'iteration', 'iteration', 'iteration']
    """

    def __init__(self, estimator, X, y, sample_weight, max_iter):
        self.estimator = estimator
        self.X, self.y = X, y
        self.metadata = (
            {} if sample_weight is None else {"sample_weight": sample_weight}
        )
        # Before scikit-learn 1.9 there is no callback API, hence no callback
        # (set_callbacks refuses) and no context: the fit runs without hooks.
        self.context = None
        if sklearn_at_least(CALLBACK_API_VERSION):
            self.context = estimator._init_callback_context(max_subtasks=max_iter)

    def begin(self):
        """``on_fit_task_begin`` for the fit task (the input is valid)."""
        if self.context is None:
            return
        self.context.call_on_fit_task_begin(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata
        )

    def solver_callback(self, theta0, attributes_at, monitor=None):
        """The solver's ``callback``: an :class:`_IterationBridge`, or None.

        None when the estimator has no callbacks, set on it or propagated to it by a
        meta-estimator: the solver then runs exactly as without this module.

        Parameters
        ----------
        theta0 : ndarray
            The start vector (the model at the beginning of the first iteration).
        attributes_at : callable
            ``attributes_at(theta) -> dict``: the fitted attributes of the model with
            parameters ``theta`` (a copy of the solver's buffer).
        monitor : ValidationMonitor, optional
            This fit's early-stopping monitor, whose state after each iteration
            the iteration's model shows; None without early stopping.
        """
        if not getattr(self.estimator, "_skl_callbacks", None):
            return None
        return _IterationBridge(self, theta0, attributes_at, monitor)

    def end(self):
        """``on_fit_task_end`` for the fit task, once the fitted attributes are set.

        The estimator itself is then the fitted model, so the reconstruction
        attributes are empty (as in ``LogisticRegression``).
        """
        if self.context is None:
            return
        self.context.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes={},
        )


class _IterationBridge(IterationCallback):
    """The solvers' per-iteration hook, forwarded to the fit's callback context.

    Each iteration is a subcontext of the fit task, begun at the iteration's first
    evaluation and ended once the solver accepts its iterate; the end hook's
    answer is the solver's stop request.
    """

    def __init__(self, fit_callbacks, theta0, attributes_at, monitor=None):
        self.fit = fit_callbacks
        self.attributes_at = attributes_at
        self.monitor = monitor
        self.n_iter = 0
        self.loss_curve = []  # this fit's objective after each iteration
        self._start = np.array(theta0, dtype=np.float64, copy=True)
        self._context = None

    def _hook_arguments(self):
        fit = self.fit
        return dict(estimator=fit.estimator, X=fit.X, y=fit.y, metadata=fit.metadata)

    def _model_at(self, theta, n_iter):
        """Lazy reconstruction attributes: built only if a callback asks.

        The model of iteration ``n_iter`` has this fit's curve up to it (the copy
        of the estimator would otherwise show a previous fit's, after a warm
        start), and its last value as ``loss_``: None before the first iteration.
        Its early-stopping attributes are this fit's too, as of that iteration
        (the solvers ask the monitor before the callback), or None when this fit
        has no early stopping.
        """
        early_stopping = self._early_stopping_at(n_iter)
        return lambda: {
            **self.attributes_at(theta),
            "n_iter_": n_iter,
            "loss_curve_": self.loss_curve[:n_iter],
            "loss_": self.loss_curve[n_iter - 1] if n_iter else None,
            **early_stopping,
        }

    def _early_stopping_at(self, n_iter):
        """The monitor's attributes after ``n_iter`` iterations, copied now: its
        best so far changes with later iterations."""
        monitor = self.monitor
        if monitor is None:
            return dict.fromkeys(
                ("validation_loss_curve_", "best_validation_loss_", "best_iteration_")
            )
        return {
            "validation_loss_curve_": monitor.curve[:n_iter],
            "best_validation_loss_": monitor.best_loss,
            "best_iteration_": monitor.best_iteration,
        }

    def begin_iteration(self):
        self._context = self.fit.context.subcontext(task_name="iteration")
        self._context.call_on_fit_task_begin(
            **self._hook_arguments(),
            reconstruction_attributes=self._model_at(self._start, self.n_iter),
        )

    def end_iteration(self, theta, loss):
        # The solver reuses its buffer: the iterate is copied now (a vector of the
        # parameters' size, nothing next to an evaluation on the data).
        self._start = np.array(theta, dtype=np.float64, copy=True)
        self.n_iter += 1
        self.loss_curve.append(loss)
        context, self._context = self._context, None
        return context.call_on_fit_task_end(
            **self._hook_arguments(),
            reconstruction_attributes=self._model_at(self._start, self.n_iter),
        )

    def abandon_iteration(self):
        # Evaluations that completed no iteration (a failed line search, max_fun
        # reached): the task ends with no model, as LogisticRegression's last one.
        context, self._context = self._context, None
        context.call_on_fit_task_end(estimator=self.fit.estimator)
