"""Each job reruns when, and only when, a config value it reads changes.

The oracle does not come from the rules' declarations: during the session's smoke run every job
recorded the config keys its code actually read (gandiv.pipeline.config_view.ConfigView; reading an
undeclared key would have failed the job). Then, for every key of config/smoke.yaml, the key is
changed to another valid value and Snakemake plans the run (a dry run through its Python API,
in this process): the jobs it reruns because their params changed must be exactly the jobs that
read the key. Jobs rerun only because an upstream job reruns, or created because the key names
a new run, are downstream consequences, not reads.
"""

import copy
from pathlib import Path

import pytest
import yaml

from gandiv.gan.kinds import GeneratorKind
from gandiv.pipeline.config import ConfigError, load_schema, validate_config

REPO = Path(__file__).resolve().parents[1]
SMOKE = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
SCRIPTS = REPO / "workflow" / "scripts"
# Strings a changed value is drawn from (the enums of the schema and the smoke config's target names).
RULES = ["minimax", "nonsaturating", "kl", "lsgan", "wgan", "wgan_gp"]
GENERATORS = [kind.value for kind in GeneratorKind]
STRINGS = ["isotropic", "diagonal", "full", "gaussian", "flow", "mlp", *RULES, "cpu", "gpu", "weights", "batch",
           "linear", "inverse_sigmoid", *SMOKE["targets"], *SMOKE["figures"]["ss-inconsistency"]["joints"]]
# A target's kind decides which other keys the target has: no change of `kind` alone is a valid config.
NO_SINGLE_CHANGE = {f"targets.{name}.kind" for name in SMOKE["targets"]} | {
    "figures.gan-grid.heatmap_generator",  # an enum of one value (the verdict compares Gaussians with theory)
    # the smoke zoo has one target and one critic rule, and critic-w1 may name only those
    "figures.critic-w1.targets", "figures.critic-w1.rules",
}


def test_scripts_read_the_config_only_through_their_declared_view():
    for script in SCRIPTS.glob("*.py"):
        text = script.read_text()
        assert "snakemake.config" not in text, f"{script.name} reads snakemake.config directly"
        assert "with snakemake_job(snakemake) as config:" in text, f"{script.name} does not use snakemake_job"


def test_the_view_refuses_undeclared_keys_and_records_reads():
    from gandiv.pipeline.config_view import ConfigView, UndeclaredConfigKey, job_config

    declared = ["gan.steps", "targets.bimodal_1d", "gan.optional_absent"]
    view = ConfigView(job_config(SMOKE, declared), declared)
    assert view["gan"]["steps"] == 400 and view["targets"]["bimodal_1d"]["weights"] == [0.7, 0.3]
    assert view["gan"].get("optional_absent", "default") == "default"
    with pytest.raises(UndeclaredConfigKey, match="'gan.batch_size'.*declared: gan.steps"):
        view["gan"]["batch_size"]
    with pytest.raises(UndeclaredConfigKey, match="'seed'"):
        view.get("seed", 0)
    assert view.reads == {"gan.steps", "targets.bimodal_1d.weights"}


def leaves(node, path=()):
    """(path, value) of every scalar and every list of scalars in the config, as key paths."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list) and any(isinstance(v, (dict, list)) for v in node):
        for i, value in enumerate(node):
            yield from leaves(value, path + (i,))
    else:
        yield path, node


def dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def candidates(value):
    """Other values to try for a leaf, most likely valid first."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value * 2, value + 1, value - 1, value // 2, value + 2]
    if isinstance(value, float):
        return [value * 1.1, value * 0.9, value + 0.1, value - 0.1, 0.5 * value]
    if isinstance(value, str):
        return [s for s in STRINGS if s != value]
    if isinstance(value, list):
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            head = [[c] + value[1:] for c in candidates(value[0])]
            # one more entry: an int list (seeds) gets the next int, a float list (pi) half its last value
            more = value[-1] + 1 if all(isinstance(v, int) for v in value) else value[-1] / 2
            return [list(reversed(value))] + head + [value + [value[-1] * 2], value + [more]] + [value[:-1]]
        if value and all(isinstance(v, str) for v in value):
            return [value[:-1]] + [value + [s] for s in STRINGS if s not in value]
        return [[0]] if not value else []
    return []


def changed_config(path, schema):
    """A valid config differing from smoke.yaml at `path` (or, for a matrix row, in its matrix), or None."""
    node = SMOKE
    for part in path:
        node = node[part]
    options = [(path, c) for c in candidates(node) if c != node]
    if len(path) >= 2 and isinstance(path[-1], int):  # a row of a matrix: scale the whole matrix instead
        parent = SMOKE
        for part in path[:-1]:
            parent = parent[part]
        options.append((path[:-1], [[1.1 * x for x in row] for row in parent]))
    for where, value in options + _with_new_runs(path, node):
        cfg = copy.deepcopy(SMOKE)
        if callable(value):  # a change that also adds what the new value needs (a target, a trained rule)
            value = value(cfg)
        target = cfg
        for part in where[:-1]:
            target = target[part]
        target[where[-1]] = value
        try:
            validate_config(cfg, schema)
        except ConfigError:
            continue
        return where, cfg
    return None


def _with_new_runs(path, value):
    """Changes of a reference that need more than one key: point it at a copy of its target (trained wherever the
    original is), or at another update rule added to the grid entries that train the current one."""
    options = []
    if not isinstance(value, str):
        return options
    if value in SMOKE["targets"]:
        def to_copy(cfg, name=value):
            cfg["targets"][f"{name}_copy"] = copy.deepcopy(cfg["targets"][name])
            for entry in cfg["gan"]["grid"]:
                if name in entry["targets"]:
                    entry["targets"].append(f"{name}_copy")
            return f"{name}_copy"
        options.append((path, to_copy))
    if value in RULES and path[-1] == "rule":
        def to_rule(cfg, rule, old=value):
            for entry in cfg["gan"]["grid"]:
                if old in entry["rules"]:
                    entry["rules"].append(rule)
            return rule
        options += [(path, lambda cfg, r=r: to_rule(cfg, r)) for r in RULES if r != value]
    if value in GENERATORS and path[-1] == "generator" and path[0] == "figures":
        def to_generator(cfg, generator, old=value, target_key=path[:-1]):
            node = cfg
            for part in target_key:
                node = node[part]
            for entry in cfg["gan"]["grid"]:
                if old in entry["generators"] and node.get("target") in entry["targets"]:
                    entry["generators"].append(generator)
            return generator
        options += [(path, lambda cfg, g=g: to_generator(cfg, g)) for g in GENERATORS if g != value]
    return options


def related(changed: str, read: str) -> bool:
    """A job that read `read` depends on the value at `changed` (one is the other or contains it)."""
    return changed == read or read.startswith((changed + ".", changed + "[")) or changed.startswith(
        (read + ".", read + "["))


class Planner:
    """Dry runs of the workflow in this process.

    `plan` returns {job: reason} of the jobs Snakemake would run and {job: (whether its params changed, whether
    its set of input files changed)} for every job of the DAG (Snakemake checks params only for jobs it has not
    already planned for another reason, so the reasons alone would hide a reader downstream of another rerun job).
    """

    def __init__(self):
        import snakemake.jobs

        self.seen = {}
        original = snakemake.jobs.Job.log_info

        def log_info(job, *args, **kwargs):
            self.seen[self.name(job)] = str(job.dag.reason(job))
            return original(job, *args, **kwargs)

        snakemake.jobs.Job.log_info = log_info
        self._restore = lambda: setattr(snakemake.jobs.Job, "log_info", original)

    @staticmethod
    def name(job) -> str:
        return f"{job.rule.name}:{(list(job.output) or [''])[0]}"

    def plan(self, configfile: Path, workdir: Path) -> tuple[dict, set]:
        from snakemake.api import SnakemakeApi
        from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, Quietness, ResourceSettings

        self.seen = {}
        with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
            workflow = api.workflow(resource_settings=ResourceSettings(cores=1),
                                    config_settings=ConfigSettings(configfiles=[configfile]),
                                    snakefile=REPO / "Snakefile", workdir=workdir)
            workflow.dag(DAGSettings()).execute_workflow(pseudo_executor="dryrun")
            persistence = workflow._workflow.persistence
            jobs = {self.name(job): (bool(job.output) and bool(persistence.params_changed(job)),
                                     bool(job.output) and any(persistence.input_changed(job)))
                    for job in workflow._workflow.dag.jobs}
        return dict(self.seen), jobs


@pytest.mark.slow
def test_changing_a_key_reruns_exactly_the_jobs_that_read_it(smoke_run, tmp_path):
    import json

    reads = {}
    for record in (smoke_run / "config-reads").glob("*.json"):
        entry = json.loads(record.read_text())
        reads[entry["job"]] = entry["reads"]
    schema = load_schema()
    planner = Planner()
    try:
        planned, jobs = planner.plan(REPO / "config" / "smoke.yaml", smoke_run)
        assert set(reads) >= {j for j in jobs if not j.startswith("all:")}, "a job recorded no reads"
        assert [j for j in planned if not j.startswith("all:")] == [], "the finished smoke run is not up to date"
        problems, untested = [], []
        for path, _ in leaves(SMOKE):
            if dotted(path) in NO_SINGLE_CHANGE:
                continue
            change = changed_config(path, schema)
            if change is None:
                untested.append(dotted(path))
                continue
            where, cfg = change
            key = dotted(where)
            configfile = tmp_path / "changed.yaml"
            configfile.write_text(yaml.safe_dump(cfg, sort_keys=False))
            planned, jobs = planner.plan(configfile, smoke_run)
            by_params = {job for job, (params, _) in jobs.items() if params}
            new = {job for job, reason in planned.items() if "Missing output files" in reason}
            # A job whose set of inputs changed (the key added or removed runs it reads) may declare other keys now.
            structural = new | {job for job, (_, inputs) in jobs.items() if inputs}
            readers = {job for job, keys in reads.items() if any(related(key, r) for r in keys)} & set(jobs) - new
            # A job that now reads other, existing files may find them newer than its output ("Updated input
            # files"): expected for a structural change, a fault anywhere else.
            odd = {job: reason for job, reason in planned.items()
                   if not any(s in reason for s in ("Params have changed", "Missing output files",
                                                    "Input files updated by another job", "Set of input files"))
                   and not (job in structural and "Updated input files" in reason)}
            if by_params - readers - structural or readers - by_params or odd:
                problems.append(f"{key}: rerun for params {sorted(by_params - readers - structural)}, read but not "
                                f"rerun {sorted(readers - by_params)}, other reasons {odd}")
    finally:
        planner._restore()
    assert not problems, "\n".join(problems)
    assert not untested, f"keys no valid change was found for: {untested}"


@pytest.mark.slow
def test_every_file_a_job_reads_is_a_declared_input(smoke_run):
    # Each job of the smoke run recorded the workflow files it opened for reading (a Python audit hook on open();
    # results_io opens every intermediate file, Keras weights included, before parsing it).
    import json

    records = [json.loads(p.read_text()) for p in (smoke_run / "config-reads").glob("*.json")]
    undeclared = {r["job"]: sorted(set(r["opened"]) - set(r["inputs"]) - set(r["outputs"])) for r in records}
    assert not {job: files for job, files in undeclared.items() if files}, undeclared
    evaluation = [r for r in records if r["job"].startswith("gan_evaluate:")]
    assert evaluation and all(any(f.endswith("generator.weights.h5") for f in r["opened"]) for r in evaluation)
