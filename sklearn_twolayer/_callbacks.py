"""scikit-learn's callback API (``sklearn.callback``) for the estimator's fit.

The fit is a task ``"fit"`` with one ``"iteration"`` subtask per solver iteration
(L-BFGS or trust-ncg, a rejected trust-region step included), so a ``ProgressBar``
moves with the solver and a ``ScoringMonitor`` scores every iteration's model. The
solver, which knows nothing of scikit-learn, calls an
:class:`~sklearn_twolayer._solver.IterationCallback`: :class:`_IterationBridge`.

Every hook gets ``fit``'s ``X`` and ``y``, and ``metadata={"sample_weight": ...}``
when weights were given. An iteration's model (``fitted_estimator``) is built only
when a callback asks for it (the reconstruction attributes are a callable); without
callbacks the solver gets no hook at all.
"""

import numpy as np

from ._prediction import WEIGHTS
from ._sklearn_compat import CALLBACK_API_VERSION, require_sklearn, sklearn_at_least
from ._solver import IterationCallback


class CallbackSupportMixin:
    """``set_callbacks`` for the estimator: scikit-learn's mixin, imported when used.

    Importing ``sklearn.callback`` imports ``rich`` (its ``ProgressBar``), which
    ``import sklearn_twolayer`` must not; the mixin's two methods are forwarded.
    """

    def set_callbacks(self, *callbacks):
        """Set callbacks for the estimator (scikit-learn's callback API).

        Called during ``fit`` for the fit task and for each solver iteration, its
        subtask; a callback whose ``on_fit_task_end`` returns True stops the fit
        after that iteration.

        Parameters
        ----------
        *callbacks : callback instances
            Objects following ``sklearn.callback.FitCallback``, such as its
            ``ProgressBar`` or ``ScoringMonitor``; None, or none, removes them.

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

    An iteration's model is a ``copy.copy`` of the estimator during ``fit``, which
    holds none of this fit's attributes (all assigned at its end): ``fixed``
    (classes, output unit, feature names) and the parameters in ``dtype`` make it
    this fit's model.
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

    Made at the start of ``fit``, which sets the callbacks up; ``X``, ``y`` and
    ``sample_weight`` (as ``metadata``) go to every hook, ``max_iter`` is the fit
    task's ``max_subtasks``.
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
        """The solver's ``callback``: an :class:`_IterationBridge`, or None when the
        estimator has no callbacks (set or propagated by a meta-estimator), so the
        solver runs as without this module. ``attributes_at(theta) -> dict``: the
        fitted attributes at ``theta``; ``monitor``: the fit's early-stopping
        :class:`~sklearn_twolayer._solver.ValidationMonitor`, or None."""
        if not getattr(self.estimator, "_skl_callbacks", None):
            return None
        return _IterationBridge(self, theta0, attributes_at, monitor)

    def end(self):
        """``on_fit_task_end`` for the fit task, once the fitted attributes are set:
        the estimator is the model, so no reconstruction attributes (as in
        ``LogisticRegression``)."""
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
    """The solvers' per-iteration hook, forwarded to the fit's callback context: an
    iteration is a subcontext of the fit task, begun at its first evaluation and
    ended once accepted; the end hook's answer is the solver's stop request."""

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
        """Lazy reconstruction attributes, built only if a callback asks: iteration
        ``n_iter``'s model, with this fit's curve up to it (a warm-started copy would
        show the previous fit's), its last value as ``loss_`` (None before the
        first) and the early-stopping attributes as of that iteration."""
        early_stopping = self._early_stopping_at(n_iter)
        return lambda: {
            **self.attributes_at(theta),
            "n_iter_": n_iter,
            "loss_curve_": self.loss_curve[:n_iter],
            "loss_": self.loss_curve[n_iter - 1] if n_iter else None,
            **early_stopping,
        }

    def _early_stopping_at(self, n_iter):
        """The monitor's attributes after ``n_iter`` iterations (the solvers ask it
        before the callback), copied now: its best changes later. None without."""
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
        # The solver reuses its buffer: copy the iterate now.
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
