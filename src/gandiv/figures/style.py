"""One seaborn style for every figure, and the drawing helpers figures share (densities as images, contours)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gandiv.results_io import TIDY_COLUMNS, check_tidy  # noqa: E402,F401  (figure tables' format)

NATS = "nats"
PALETTE = "colorblind"


def set_style() -> None:
    sns.set_theme(context="paper", style="whitegrid", palette=PALETTE, font_scale=1.1)
    matplotlib.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "pdf.fonttype": 42,
                                "svg.hashsalt": "gandiv", "image.cmap": "viridis"})


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4, **kwargs):
    """A styled figure with a grid of axes, sized per panel."""
    set_style()
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, layout="constrained",
                        **kwargs)


def density_image(ax, density, bounds, n: int = 300):
    """P's density as an image over a box [[x0, x1], [y0, y1]]."""
    xs, ys = np.linspace(*bounds[0], n), np.linspace(*bounds[1], n)
    xx, yy = np.meshgrid(xs, ys)
    z = np.exp(density.log_prob(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    ax.imshow(z, origin="lower", extent=[*bounds[0], *bounds[1]], aspect="equal", cmap="magma")
    return xx, yy


def contours(ax, density, bounds, color="white", levels=4, n: int = 200, **kwargs):
    """Contour lines of a 2-D density at fractions of its maximum."""
    xs, ys = np.linspace(*bounds[0], n), np.linspace(*bounds[1], n)
    xx, yy = np.meshgrid(xs, ys)
    z = np.exp(density.log_prob(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    ax.contour(xx, yy, z, levels=np.linspace(0.1, 0.9, levels) * z.max(), colors=color, **kwargs)




def long_table(wide: pd.DataFrame, id_vars: list[str], units: dict[str, str]) -> pd.DataFrame:
    """Melt a wide table into one row per number: id columns, then quantity, value, unit."""
    long = wide.melt(id_vars=id_vars, value_vars=list(units), var_name="quantity", value_name="value")
    return long.assign(unit=long.quantity.map(units))
