"""The figure and tables of docs/real_data.rst, from bench_real_data.py's JSON.

Reads the JSON that ``bench_real_data.py --json`` writes, so the docs build needs
neither the data sets nor the minutes of fits::

    python benchmarks/plot_real_data.py benchmarks/results/real_data.json \\
        docs/_static/real_data.png --rst

The figure: one panel per data set; in each, one marker per model at its median fit
time over the folds (log scale) and its test log-loss (the mean over the folds).
``--rst`` also prints the page's tables (log-loss, Brier score, accuracy, fit time;
the lowest log-loss of each set in bold), one column per model of ``COLUMNS`` in
that order: a model the JSON lacks gets a column of "not run"; then the log-loss
over ``LogisticRegression()``'s per model, and the table of
``TwoLayerSigmoidClassifierCV`` against ``GridSearchCV`` of ours.
"""

import argparse
import json
import math
import statistics

import matplotlib

matplotlib.use("Agg")  # a file, never a window
import matplotlib.pyplot as plt
from matplotlib.ticker import LogFormatter

MARKERS = "os^vDPX*hp<>"


class PlainLogFormatter(LogFormatter):
    """LogFormatter's choice of ticks to label, written 0.3 rather than 3e-01."""

    def _num_to_string(self, x, vmin, vmax):
        return f"{x:g}"


# bench_real_data.py's model names and the tables' headers, in the tables' order.
COLUMNS = {
    "ours": "ours, defaults",
    "ours-CV": "TwoLayerSigmoidClassifierCV",
    "ours-GridSearchCV": "GridSearchCV of ours",
    "MLPClassifier": "MLPClassifier",
    "LogisticRegression": "LogisticRegression",
    "LogisticRegressionCV": "LogisticRegressionCV",
    "HistGradientBoostingClassifier": "HGB",
}


def plot(document, path):
    results = document["results"]
    names = list(next(iter(results.values()))["models"])
    columns = 4
    rows = math.ceil((len(results) + 1) / columns)  # a last cell for the legend
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.7 * rows))
    axes = axes.ravel()
    colors = plt.get_cmap("tab10")
    for ax, (set_name, entry) in zip(axes, results.items(), strict=False):
        for i, name in enumerate(names):
            model = entry["models"][name]
            ax.scatter(
                model["fit_median_s"],
                model["log_loss"],
                marker=MARKERS[i % len(MARKERS)],
                color=colors(i % 10),
                s=42,
                label=COLUMNS.get(name, name),
            )
        ax.set_xscale("log")
        # the overfitted fits sit at several times the others: a log scale keeps
        # the good ones apart
        ax.set_yscale("log")
        # plain numbers (0.3, not 3×10⁻¹), and minor ticks labelled on the narrow
        # ranges, where there is no power of ten to label
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(PlainLogFormatter())
            axis.set_minor_formatter(PlainLogFormatter(minor_thresholds=(1, 0.5)))
        ax.set_title(f"{set_name} ({entry['rows']} rows)", fontsize=9)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes[len(results) :]:
        ax.axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[len(results)].legend(handles, labels, loc="center", fontsize=8, frameon=False)
    for ax in axes[::columns][:rows]:
        ax.set_ylabel("test log-loss", fontsize=8)
    for ax in axes[len(results) - columns : len(results)]:
        ax.set_xlabel("fit time, median over folds (s)", fontsize=8)
    fig.suptitle(
        f"{document['folds']}-fold stratified CV, one thread: lower and further "
        "left is better",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def rst_tables(document):
    results = document["results"]
    present = list(next(iter(results.values()))["models"])
    names = list(COLUMNS) + [n for n in present if n not in COLUMNS]
    headers = ", ".join(f'"{COLUMNS.get(n, n)}"' for n in names)
    measures = (
        ("log_loss", "Test log-loss", "{:.3f}", min),
        ("brier", "Brier score", "{:.4f}", None),
        ("accuracy", "Accuracy", "{:.3f}", None),
        ("fit_total_s", "Fit time, total over the folds (s)", "{:.2f}", None),
    )
    blocks = []
    for key, title, form, best in measures:
        lines = [
            f".. csv-table:: {title}, {document['folds']}-fold stratified CV",
            f'   :header: "data set (rows)", {headers}',
            "",
        ]
        for set_name, entry in results.items():
            models = entry["models"]
            values = {n: models[n][key] for n in names if n in models}
            # every value that prints as the lowest is in bold
            lowest = form.format(best(values.values())) if best else None
            cells = []
            for n in names:
                if n not in values:
                    cells.append("not run")
                    continue
                text = form.format(values[n])
                cells.append(f"**{text}**" if text == lowest else text)
            lines.append(f'   "{set_name} ({entry["rows"]})", ' + ", ".join(cells))
        blocks.append("\n".join(lines))
    blocks.append(baseline_ratio_table(document, names))
    if all(n in present for n in ("ours-CV", "ours-GridSearchCV")):
        blocks.append(tuning_table(document))
    return "\n\n".join(blocks)


def baseline_ratio_table(document, names, baseline="LogisticRegression"):
    """Per model: median and worst log-loss over ``baseline``'s, sets within 10 %
    of it and below it."""
    results = document["results"]
    lines = [
        f".. csv-table:: Test log-loss over {baseline}()'s",
        '   :header: "model", "median ratio", "worst ratio", "sets within 10 %", '
        '"sets below"',
        "",
    ]
    for name in names:
        if name == baseline or not all(name in e["models"] for e in results.values()):
            continue
        ratios = [
            e["models"][name]["log_loss"] / e["models"][baseline]["log_loss"]
            for e in results.values()
        ]
        lines.append(
            f'   "{COLUMNS.get(name, name)}", {statistics.median(ratios):.3f}, '
            f"{max(ratios):.2f}, {sum(r <= 1.1 for r in ratios)}, "
            f"{sum(r < 1.0 for r in ratios)}"
        )
    return "\n".join(lines)


def tuning_table(document, tuned="ours-CV", grid="ours-GridSearchCV"):
    """The CV estimator against the grid search: total fit time over the outer
    folds, log-loss, and the alpha each chose on every outer fold."""
    lines = [
        ".. csv-table:: TwoLayerSigmoidClassifierCV against GridSearchCV of ours "
        f"(same {len(document['alphas'])} alphas, same {document['inner_cv']} "
        "inner folds)",
        '   :header: "data set (rows)", "fit time, CV / grid search", '
        '"log-loss, CV / grid search", "``alpha_`` per outer fold (CV)", '
        '"best alpha per outer fold (grid)"',
        "",
    ]
    for set_name, entry in document["results"].items():
        cv, gs = entry["models"][tuned], entry["models"][grid]
        change = 100 * (cv["log_loss"] / gs["log_loss"] - 1)
        lines.append(
            f'   "{set_name} ({entry["rows"]})", '
            f"{cv['fit_total_s'] / gs['fit_total_s']:.2f}, "
            f'"{cv["log_loss"]:.4f} / {gs["log_loss"]:.4f} ({change:+.1f} %)", '
            f'"{" ".join(f"{a:g}" for a in cv["alphas"])}", '
            f'"{" ".join(f"{a:g}" for a in gs["alphas"])}"'
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="bench_real_data.py's --json output")
    parser.add_argument("png", help="the figure to write")
    parser.add_argument("--rst", action="store_true", help="print the tables too")
    args = parser.parse_args(argv)
    with open(args.json, encoding="utf-8") as source:
        document = json.load(source)
    plot(document, args.png)
    print(f"wrote {args.png}")
    if args.rst:
        print(rst_tables(document))


if __name__ == "__main__":
    main()
