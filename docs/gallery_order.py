"""Reading order of the example gallery (sphinx-gallery's ``within_subsection_order``).

sphinx-gallery sorts examples by file name unless told otherwise; this puts the quick
start first and goes from using the estimator to how it works. Examples not listed
here follow, in file-name order, so a new example needs no edit to appear.
"""

READING_ORDER = (
    "plot_quick_start.py",
    "plot_grid_search.py",
    "plot_cv_alpha_path.py",
    "plot_decision_boundaries.py",
    "plot_training_curves.py",
    "plot_multiclass_multilabel.py",
    "plot_sample_and_class_weights.py",
    "plot_gradient_check.py",
    "plot_early_stopping.py",
    "plot_hidden_features.py",
    "plot_solvers.py",
)


class ReadingOrder:
    """Sort key: position in ``READING_ORDER``, then file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        # sphinx-gallery caches on the repr: it must not depend on the object's id.
        return f"{type(self).__name__}()"

    def __call__(self, filename):
        if filename in READING_ORDER:
            return (READING_ORDER.index(filename), filename)
        return (len(READING_ORDER), filename)
