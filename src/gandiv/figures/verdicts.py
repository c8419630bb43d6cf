"""The verdicts a figure can get, and the one the report shows for a figure not built yet."""

from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    """How a figure's numbers compare with its source's claim (its catalogue entry's verdict rule)."""

    REPRODUCED = "reproduced"
    PARTLY = "partly"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"  # the evidence is too thin to decide (too few converged runs, too little power)
    NOT_BUILT_YET = "not built yet"  # given by the report, never by a figure builder


# The verdicts a figure builder may give (`gandiv.figures.verdict`).
FIGURE_VERDICTS = (Verdict.REPRODUCED, Verdict.PARTLY, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE)
