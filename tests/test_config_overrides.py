"""Changing a few values without copying the whole config: `--config` overrides and small `--configfile`s are
deep-merged onto config/config.yaml with their YAML types and validated after the merge; a complete config
(one with `targets` and `figures`, like config/smoke.yaml) stands alone."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def planned(tmp_path, **settings):
    """The validated config and the first output of every job a dry run of the whole workflow plans."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, Quietness, ResourceSettings

    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=1), config_settings=ConfigSettings(**settings),
                                snakefile=REPO / "Snakefile", workdir=tmp_path)
        workflow.dag(DAGSettings()).execute_workflow(pseudo_executor="dryrun")
        jobs = {str((list(job.output) or [job.rule.name])[0]) for job in workflow._workflow.dag.jobs}
        return workflow._workflow.config, jobs


def test_a_nested_config_override_keeps_its_yaml_types_and_the_other_keys(tmp_path):
    full = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    # what Snakemake's parser makes of --config 'exact={n_starts: 2, pi_grid: {n_tail: 4}}' 'gan={steps: 6000}'
    config, _ = planned(tmp_path, config={"exact": {"n_starts": "2", "pi_grid": {"n_tail": "4"}},
                                          "gan": {"steps": "6000"}})
    assert config["exact"]["n_starts"] == 2 and config["exact"]["pi_grid"]["n_tail"] == 4
    assert config["gan"]["steps"] == 6000
    assert config["exact"]["max_iter"] == full["exact"]["max_iter"]  # the rest of the section stays
    assert config["exact"]["pi_grid"]["pi_min"] == full["exact"]["pi_grid"]["pi_min"]


def test_an_override_is_validated_after_the_merge(tmp_path):
    from snakemake_interface_common.exceptions import WorkflowError

    with pytest.raises(WorkflowError, match="exact.n_starts"):
        planned(tmp_path, config={"exact": {"n_starts": "0"}})


def test_a_small_configfile_holds_only_what_changes(tmp_path):
    overlay = tmp_path / "mine.yaml"
    overlay.write_text("exact:\n  n_starts: 3\nfigures:\n  jspi-convention:\n    seeds: [0, 1]\n")
    config, jobs = planned(tmp_path, configfiles=[overlay])
    full = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert config["exact"]["n_starts"] == 3 and config["figures"]["jspi-convention"]["seeds"] == [0, 1]
    assert set(config["figures"]) == set(full["figures"]) and config["gan"]["grid"] == full["gan"]["grid"]
    assert any("results/gan/convention" in job for job in jobs)


def test_a_complete_config_stands_alone_and_plans_what_it_planned_before(tmp_path):
    smoke = REPO / "config" / "smoke.yaml"
    config, jobs = planned(tmp_path, configfiles=[smoke])
    # Snakemake's replace mode loads the file as the whole config: the behaviour before overlays existed
    alone, jobs_alone = planned(tmp_path, configfiles=[smoke], replace_workflow_config=True)
    assert jobs == jobs_alone and config == alone
    from gandiv.pipeline.config import load_schema, validate_config

    # nothing of config/config.yaml leaks in: the config is the smoke file's own, validated with defaults filled
    assert config == validate_config(yaml.safe_load(smoke.read_text()), load_schema())


def test_yaml_typed_reads_string_leaves_as_a_config_file_would():
    from gandiv.pipeline.config import yaml_typed

    parsed = {"exact": {"n_starts": "2", "pi_grid": {"pi_min": "1.0e-3"}}, "gan": {"device": "gpu"},
              "figures": {"jspi-convention": {"seeds": ["0", "1"], "pi_mode": "batch"}}, "seed": 3, "flag": "true"}
    assert yaml_typed(parsed) == {"exact": {"n_starts": 2, "pi_grid": {"pi_min": 1.0e-3}}, "gan": {"device": "gpu"},
                                  "figures": {"jspi-convention": {"seeds": [0, 1], "pi_mode": "batch"}}, "seed": 3,
                                  "flag": True}
    assert yaml_typed("a: b") == "a: b"  # a string that YAML reads as a mapping stays the string it was
