"""The figures students draw: error curves per alpha and per hidden-layer size.

Kept apart from :mod:`solutions.network` so the network never imports matplotlib.
Both take a sweep ``{setting: errors}`` and return the matplotlib Figure.
"""

import matplotlib.pyplot as plt


def plot_error_curves(sweep):
    """One error curve per alpha; ``sweep`` is ``{alpha: errors}``."""
    fig, ax = plt.subplots()
    for alpha, errors in sweep.items():
        ax.plot(errors, label=f"alpha={alpha}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("mean absolute error")
    ax.set_yscale("log")
    ax.legend()
    return fig


def plot_hidden_sizes(sweep):
    """One error curve per hidden-layer size; ``sweep`` is ``{hidden_dim: errors}``."""
    fig, ax = plt.subplots()
    for size, errors in sweep.items():
        ax.plot(errors, label=f"hidden={size}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("mean absolute error")
    ax.set_yscale("log")
    ax.legend()
    return fig
