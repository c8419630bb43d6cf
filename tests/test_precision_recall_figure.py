"""precision-recall's verdict: it passes where maximum likelihood buys recall and KL[Q||P] precision and the JS_pi
minimiser moves between them across its jump, and fails where either claim is false; the config rule."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from gandiv.config_error import ConfigError
from gandiv.figures import precision_recall as fig
from gandiv.figures.recipe import Computed, Context
from gandiv.pipeline.config import load_schema, validate_config

from conftest import REPO

COVER, SEEK = {"mean": -0.8, "sd": 1.9, "f8": 0.96, "f1_8": 0.68}, {"mean": -2.0, "sd": 0.6, "f8": 0.70, "f1_8": 0.99}
PIS = [0.001, 0.01, 0.1, 0.3, 0.5, 0.9, 0.999]


@pytest.fixture(scope="module")
def config():
    return validate_config(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), load_schema())


def table(cover=COVER, seek=SEEK, jump_after=2, path_moves=True) -> pd.DataFrame:
    """Rows as compute writes them: the two KL fits (the covering and the seeking branch's ends), an MMD fit, the
    JS_pi path (covering up to PIS[jump_after], seeking after it; or covering throughout) and one GAN."""
    models = [("kl_pq", np.nan, cover), ("kl_qp", np.nan, seek), ("mmd", np.nan, {**COVER, "f8": 0.72, "f1_8": 0.79})]
    for i, pi in enumerate(PIS):
        here = seek if (path_moves and i > jump_after) else cover
        drift = 1e-5 * i  # within a branch the scores drift a little either way
        models.append(("js_pi", pi, {**here, "f8": here["f8"] + drift, "f1_8": here["f1_8"] - drift}))
    models.append(("gan", 0.5, COVER))
    rows = []
    for kind, pi, values in models:
        names = {"kind": kind, "pi": pi, "rule": "minimax" if kind == "gan" else "", "seed": 0 if kind == "gan" else -1}
        quantities = values | {"error_bound": 0.0, "estimate_f8": values["f8"] - 0.01,
                               "estimate_f1_8": values["f1_8"] - 0.02, "estimate_gap": 0.1}
        rows += [names | {"quantity": q, "value": v, "unit": ""} for q, v in quantities.items()]
    return pd.DataFrame(rows)


def judge(t, config):
    return fig.judge(Computed(t), Context(config=config, settings=config["figures"][fig.ID]))["verdict"]


def test_verdict_passes_only_where_both_claims_hold(config):
    assert judge(table(), config) == "reproduced"
    # maximum likelihood with the lower recall (the JS_pi path still moving between the two fits): KL claim false
    low_recall = {**COVER, "f8": 0.70}
    assert judge(table(cover=low_recall, seek={**SEEK, "f8": 0.705}), config) == "partly"
    # the JS_pi minimiser stays on the covering branch at every pi: it does not move to KL[Q||P]'s scores
    assert judge(table(path_moves=False), config) == "partly"
    # both false
    assert judge(table(cover=low_recall, seek={**SEEK, "f8": 0.705}, path_moves=False), config) == "not reproduced"


def test_the_largest_step_must_lie_across_the_jump(config):
    t = table()
    # move the scores' big step one grid step away from the branch change of the means
    sel = (t.kind == "js_pi") & (t.pi == PIS[3]) & t.quantity.isin(["f8", "f1_8"])
    t.loc[sel & (t.quantity == "f8"), "value"] = COVER["f8"]
    t.loc[sel & (t.quantity == "f1_8"), "value"] = COVER["f1_8"]
    assert judge(t, config) == "partly"


def test_tables_read_back_from_csv_keep_the_fits():
    # a fit's empty rule and NaN pi read back as NaN: `wide` must keep those rows
    t = table()
    back = t.assign(rule=t.rule.replace("", np.nan))
    w = fig.wide(back)
    assert set(w.kind) == {"kl_pq", "kl_qp", "mmd", "js_pi", "gan"} and len(fig.js_path(back)) == len(PIS)


def test_a_target_that_is_not_1d_is_refused(config):
    bad = copy.deepcopy(config)
    bad["figures"][fig.ID]["target"] = "trimodal_2d"
    with pytest.raises(ConfigError, match="not 1-D") as error:
        validate_config(bad, load_schema())
    assert f"figures.{fig.ID}.target" in str(error.value)
