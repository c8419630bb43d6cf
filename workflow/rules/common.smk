# Config validation and helpers shared by every stage.

import itertools
import sys
from types import SimpleNamespace
from pathlib import Path

from snakemake.exceptions import WorkflowError

# The workflow itself imports `gandiv` from src/. Jobs import it from the installed package or,
# in a conda env, through the link workflow/scripts/gandiv -> src/gandiv (scripts' folder is on sys.path).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from gandiv.pipeline.config import ConfigError, load_schema, validate_in_place  # noqa: E402
from gandiv.pipeline.config_view import job_config  # noqa: E402
from gandiv.update_rules import LOGIT_RULES, UpdateRule  # noqa: E402
from gandiv.pipeline.wildcards import int_token, number_token  # noqa: E402

# One clear message naming the key and what is allowed, before any job runs; then `config` holds the
# validated values with the defaults of the schema shipped with the package filled in (the only filling).
try:
    validate_in_place(config, load_schema())
except ConfigError as error:
    raise WorkflowError(f"invalid config: {error}") from None


# Objectives an exact fit can minimise (JS means JS_1/2).
FIT_OBJECTIVES = ["kl_pq", "js", "kl_qp"]


def declared(*keys):
    """A rule's `params.job`: the dotted config keys its job reads, and their values.

    Declared once per rule: Snakemake reruns the job when these values change, and the job can
    read nothing else (gandiv.pipeline.config_view.ConfigView raises on any other key).
    """
    return {"config_keys": list(keys), "config": job_config(config, list(keys))}


# ---------------------------------------------------------------- GAN grid

GRID_RULE_PATTERN = "|".join(rule.value for rule in LOGIT_RULES)  # rules of the pi x rule grid
ZOO_RULE_PATTERN = "|".join(rule.value for rule in UpdateRule)
GAN = config.get("gan")
GAN_RUN = "results/gan/{target}/{generator}/{update_rule}/pi{pi}/seed{seed}"
GAN_THREADS = GAN["threads"] if GAN else 1
GAN_GPUS = 1 if GAN and GAN["device"] == "gpu" else 0
GAN_ENV = "../../envs/gan-gpu.yaml" if GAN_GPUS else "../../envs/gan.yaml"


def gan_runs(target=None, generator=None):
    """Every training of the grid as wildcard values, optionally for one target and generator."""
    runs = []
    for entry in GAN["grid"] if GAN else []:
        for t, g, r, pi, seed in itertools.product(entry["targets"], entry["generators"], entry["rules"],
                                                   entry["pi"], entry["seeds"]):
            run = {"target": t, "generator": g, "update_rule": r, "pi": number_token(pi), "seed": int_token(seed)}
            if (target in (None, t)) and (generator in (None, g)) and run not in runs:
                runs.append(run)
    return runs


def run_dir(run):
    return GAN_RUN.format(**run)


def gan_groups():
    """(target, generator) pairs with at least one training."""
    return sorted({(run["target"], run["generator"]) for run in gan_runs()})


# ---------------------------------------------------------------- objectives zoo

ZOO_RUN = "results/objectives_zoo/{target}/{update_rule}/{discriminator}/seed{seed}"


def zoo_config():
    """The objectives-zoo figure's settings, or None if the config does not ask for it."""
    return config["figures"].get("objectives-zoo")


def zoo_training_runs(target=None):
    """Every zoo training as wildcard values, optionally for one target."""
    from gandiv.gan.zoo import zoo_runs

    zoo = zoo_config()
    return [run for run in (zoo_runs(zoo) if zoo else []) if target in (None, run["target"])]


ZOO_THREADS = zoo_config()["threads"] if zoo_config() else 1
ZOO_GPUS = 1 if zoo_config() and zoo_config()["device"] == "gpu" else 0
ZOO_ENV = "../../envs/gan-gpu.yaml" if ZOO_GPUS else "../../envs/gan.yaml"


# ---------------------------------------------------------------- scheduled sampling

SS_RUN = "results/scheduled_sampling/{joint}/{schedule}/seed{seed}"


def ss_training_config():
    """The `training` section of ss-inconsistency, or None if no model is trained."""
    return config["figures"].get("ss-inconsistency", {}).get("training")


def ss_runs():
    """Every pair-model training as wildcard values: fixed epsilons, then annealed schedules."""
    training = ss_training_config()
    if training is None:
        return []
    schedules = [f"epsilon{number_token(eps)}" for eps in training["epsilons"]] + list(training["annealed"])
    return [{"joint": j, "schedule": s, "seed": int_token(seed)}
            for j, s, seed in itertools.product(training["joints"], schedules, training["seeds"])]


def enabled_figures():
    """Figure ids the config asks for, in config order."""
    return list(config["figures"])


def figure_inputs(wildcards):
    """Intermediate results a figure job reads, by name."""
    settings = config["figures"][wildcards.figure]
    if wildcards.figure == "iclr-fig1":
        return {
            name: f"results/fits/{settings['target']}/{settings['family']}/{name}.json"
            for name in FIT_OBJECTIVES
        }
    if wildcards.figure == "jspi-interpolation":
        inputs = {}
        for target in settings["targets"]:
            base = f"results/jspi/{target}/{settings['family']}"
            inputs[f"{target}_path"] = f"{base}/path.csv"
            inputs[f"{target}_summary"] = f"{base}/summary.json"
            if any(run["update_rule"] == "minimax" for run in gan_runs(target, "gaussian")):
                inputs[f"{target}_gan"] = f"results/gan_eval/{target}/gaussian.csv"
        return inputs
    if wildcards.figure == "jspi-convention":
        return {"eval": f"results/gan_eval/{settings['target']}/gaussian.csv",
                "summary": f"results/jspi/{settings['target']}/isotropic/summary.json"}
    if wildcards.figure == "gan-grid":
        return {f"eval_{t}_{g}": f"results/gan_eval/{t}/{g}.csv" for t, g in gan_groups()}
    if wildcards.figure == "wgan-critic":
        return {objective: f"results/wgan_critic/{objective}.npz" for objective in ("gan", "wgan_gp")}
    if wildcards.figure == "objectives-zoo":
        inputs = {f"eval_{t}": f"results/objectives_zoo/{t}/evaluation.csv"
                  for t in settings["targets"] + settings["density_runs"]["targets"]}
        for k, run in enumerate(zoo_training_runs()):
            inputs[f"snapshots_{k}"] = f"{ZOO_RUN.format(**run)}/snapshots.npz"
            inputs[f"status_{k}"] = f"{ZOO_RUN.format(**run)}/status.json"
        return inputs
    if wildcards.figure == "ss-inconsistency":
        return {f"run_{k}": f"{SS_RUN.format(**run)}/tables.json" for k, run in enumerate(ss_runs())}
    if wildcards.figure in ("kl-rule-theory", "density-ratio", "swissroll-kl"):
        target, generator = settings["target"], settings["generator"]
        inputs = {"eval": f"results/gan_eval/{target}/{generator}.csv"}
        if wildcards.figure == "density-ratio":
            for k, run in enumerate(gan_runs(target, generator)):
                inputs[f"snapshots_{k}"] = f"{run_dir(run)}/snapshots.npz"
                inputs[f"status_{k}"] = f"{run_dir(run)}/status.json"
        if wildcards.figure == "swissroll-kl":
            run = {"target": target, "generator": generator, "update_rule": settings["rule"],
                   "pi": number_token(settings["pi"]), "seed": int_token(settings["seed"])}
            inputs |= {"snapshots": f"{run_dir(run)}/snapshots.npz", "status": f"{run_dir(run)}/status.json"}
        return inputs
    return {}


def job_benchmarks():
    """Per-job benchmark files of every job this config's report depends on (for its run time)."""
    files = [f"benchmarks/figure/{fig}.tsv" for fig in enabled_figures()]
    files += [f"benchmarks/animation/{Path(gif).stem}.tsv" for gif in animations()]
    files += [f"benchmarks/{run_dir(run)}.tsv" for run in gan_runs()]
    files += [f"benchmarks/gan_evaluate/{t}/{g}.tsv" for t, g in gan_groups()]
    files += [f"benchmarks/{SS_RUN.format(**run)}.tsv" for run in ss_runs()]
    files += [f"benchmarks/{ZOO_RUN.format(**run)}.tsv" for run in zoo_training_runs()]
    if zoo_config():
        files += [f"benchmarks/zoo_evaluate/{t}.tsv"
                  for t in zoo_config()["targets"] + zoo_config()["density_runs"]["targets"]]
    if "wgan-critic" in config["figures"]:
        files += [f"benchmarks/critic_train/{objective}.tsv" for objective in ("gan", "wgan_gp")]
    for fig in enabled_figures():
        for path in figure_inputs(SimpleNamespace(figure=fig)).values():
            job = Path(path)
            if job.parts[:2] == ("results", "fits"):
                files.append(f"benchmarks/fit_exact/{job.relative_to('results', 'fits').with_suffix('.tsv')}")
            elif job.parts[:2] == ("results", "jspi") and job.name == "summary.json":
                files.append(f"benchmarks/jspi_path/{job.parent.relative_to('results', 'jspi')}.tsv")
    return sorted(set(files))


def shown_path(path):
    """A path as the report shows it: relative to the working directory when inside it (no machine's folders)."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def animations():
    """Animated figures the config asks for."""
    return ["figures/swissroll-kl.gif"] if "swissroll-kl" in config["figures"] else []


# ---------------------------------------------------------------- what each job reads from the config

FIT_EXACT_KEYS = ["seed", "exact.n_starts", "exact.max_iter", "exact.quadrature_points_per_sd",
                  "exact.quadrature_halfwidth_sd"]
JSPI_PATH_KEYS = ["seed", "exact.pi_grid", "exact.path_starts", "exact.max_iter", "exact.quadrature_points_per_sd",
                  "exact.quadrature_halfwidth_sd"]
GAN_TRAINING_KEYS = [f"gan.{key}" for key in (GAN or {}) if key not in ("grid", "evaluation", "threads")]
SS_SCHEDULE_KEYS = {"linear": ["decay_share", "final_epsilon"], "inverse_sigmoid": ["inverse_sigmoid_k"]}


def ss_training_keys(schedule):
    """Config keys a pair-model training with this schedule reads."""
    keys = ["batch_size", "embedding_dim", "hidden", "learning_rate", "steps", "steps_per_call"]
    return [f"figures.ss-inconsistency.training.{key}" for key in keys + SS_SCHEDULE_KEYS.get(schedule, [])]


def zoo_training_keys(target, rules):
    """Config keys the zoo's trainings (or their evaluation) on `target` read, for these update rules."""
    from gandiv.gan.zoo import generator_for

    keys = ["device", "steps", "steps_per_call", "batch_size", "n_snapshot_samples", "generator", "discriminator"]
    keys += [f"objectives.{rule}" for rule in rules]
    if target in zoo_config()["density_runs"]["targets"]:
        keys.append("density_runs.generator")
        if generator_for(zoo_config(), target) == "flow":
            keys.append("density_runs.flow_layers")
    return [f"figures.objectives-zoo.{key}" for key in keys]


def figure_keys(figure, animation=False):
    """Config keys a figure's (or its animation's) job reads (declared in gandiv.figures.CONFIG_NEEDS)."""
    from gandiv.figures import figure_config_keys

    return figure_config_keys(figure, config["figures"][figure], animation)
