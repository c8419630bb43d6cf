"""One seaborn style for every figure, and writing a figure's PNG, PDF and tidy CSV together."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gandiv.results_io import atomic_write, write_csv, write_json  # noqa: E402

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


def write_outputs(fig, data: pd.DataFrame, verdict: dict, png: str, pdf: str, csv: str, verdict_json: str) -> None:
    """Write the figure, its numbers and its verdict; each file appears whole or not at all."""
    check_tidy(data)
    atomic_write(png, lambda p: fig.savefig(p, format="png", dpi=150, metadata={"Software": None}))
    atomic_write(pdf, lambda p: fig.savefig(p, format="pdf", metadata={"CreationDate": None, "Creator": None,
                                                                         "Producer": None}))
    plt.close(fig)
    write_csv(csv, data, float_format="%.10g")
    write_json(verdict_json, verdict, default=float)


TIDY_COLUMNS = ("quantity", "value", "unit")  # further columns (exact, error) may stand beside value


def long_table(wide: pd.DataFrame, id_vars: list[str], units: dict[str, str]) -> pd.DataFrame:
    """Melt a wide table into one row per number: id columns, then quantity, value, unit."""
    long = wide.melt(id_vars=id_vars, value_vars=list(units), var_name="quantity", value_name="value")
    return long.assign(unit=long.quantity.map(units))


def check_tidy(data: pd.DataFrame) -> None:
    """Every figure table names each number by `quantity` and `unit`, one number per row."""
    missing = [c for c in TIDY_COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"figure table must end with columns {TIDY_COLUMNS}, got {list(data.columns)}")
