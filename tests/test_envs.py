"""Every rule's conda environment holds what its code imports, and envs/, requirements.txt and pyproject.toml agree.

The imports are collected from the code (Python's ast, function-level imports included), following every
gandiv module a rule's script reaches; a module that imports by name (importlib.import_module: the figure
registry) reaches every module of its package. Each third-party module is mapped to the distribution that
provides it (importlib.metadata), and that distribution must be pinned in the rule's environment.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
# Distributions that provide one module under two names: the CPU build and the GPU build of TensorFlow.
SAME = {"tensorflow-cpu": "tensorflow"}
# Imported by Snakemake's own script preamble (it puts its package on the job's path), not by the environment.
PROVIDED = {"snakemake"}
# Imports inside functions that only the training jobs (gan env) call: an update rule's unit holds its numpy
# formulas and its Keras losses in one class (one home per rule), and imports Keras when a loss is first built.
# The exact-env jobs (figures, report) use the numpy formulas only; the smoke run checks that no job loads a
# distribution its environment lacks (test_no_job_loads_a_distribution_its_environment_lacks).
LAZY = {"keras": {"gandiv/update_rules/base.py", "gandiv/run_axis.py"}}


def normalise(name: str) -> str:
    """A distribution name as pip compares them (PEP 503), with the TensorFlow builds folded into one."""
    name = re.sub(r"[-_.]+", "-", name).lower()
    return SAME.get(name, name)


def requirements(lines) -> list:
    """The requirement lines (comments and options dropped) as packaging Requirements."""
    from packaging.requirements import Requirement

    return [Requirement(line.split(" #")[0].strip()) for line in lines
            if line.split("#")[0].strip() and not line.startswith("-")]


def pins(lines) -> dict[str, str]:
    """{distribution: version} of pinned (`name==version`) requirement lines; extras and markers dropped."""
    out = {}
    for req in requirements(lines):
        (spec,) = req.specifier
        assert spec.operator == "==", f"{req} is not pinned"
        out[normalise(req.name)] = spec.version
    return out


def env_pins(path: Path) -> dict[str, str]:
    """The pip pins of a conda environment file."""
    deps = yaml.safe_load(path.read_text())["dependencies"]
    return pins(next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d))


def module_file(name: str) -> Path | None:
    """The source file of a gandiv module (a package's __init__.py), None if there is none."""
    base = SRC.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports(path: Path) -> tuple[set[str], bool]:
    """Every module the file imports, anywhere in it (with `from A import b`: A, and A.b), and whether it imports
    modules by name (importlib.import_module)."""
    tree = ast.parse(path.read_text())
    found, dynamic = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            dynamic = True
    return found, dynamic


def third_party(script: Path, lazy: dict | None = None) -> set[str]:
    """Top-level third-party modules the script reaches through the gandiv modules it imports, except those
    imported only by the files `lazy` lists for them (paths relative to src/)."""
    lazy = lazy or {}
    todo, seen, outside = [script], set(), {}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        found, dynamic = imports(path)
        if dynamic:  # every module of its package
            todo += [p for p in path.parent.glob("*.py")]
        for name in found:
            top = name.split(".")[0]
            if top == "gandiv":
                parts = name.split(".")
                for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                    file = module_file(".".join(parts[:i]))
                    if file is not None:
                        todo.append(file)
            elif top not in sys.stdlib_module_names and top != "__future__":
                outside.setdefault(top, set()).add(path.relative_to(SRC).as_posix() if SRC in path.parents else "")
    return {module for module, files in outside.items() if not files <= lazy.get(module, set())}


def distributions(modules: set[str]) -> set[str]:
    """The installed distributions providing these top-level modules (KeyError names one that none provides)."""
    provided = metadata.packages_distributions()
    out = set()
    for module in modules:
        if module not in provided:
            raise KeyError(f"no installed distribution provides the module {module!r}")
        out |= {normalise(d) for d in provided[module]}
    return out - PROVIDED


@pytest.fixture(scope="module")
def rule_envs(tmp_path_factory):
    """{rule: (environment file, script)} of every job of the smoke config (every rule of the workflow), from
    Snakemake's own DAG."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, Quietness, ResourceSettings

    out = {}
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=1),
                                config_settings=ConfigSettings(configfiles=[REPO / "config" / "smoke.yaml"]),
                                snakefile=REPO / "Snakefile", workdir=tmp_path_factory.mktemp("envs"))
        workflow.dag(DAGSettings(forceall=True)).execute_workflow(pseudo_executor="dryrun")
        for job in workflow._workflow.dag.jobs:
            if job.rule.script is None:
                continue
            env = Path(job.conda_env_spec.file.get_path_or_uri(secret_free=True)).resolve()
            out[job.rule.name] = (env, (Path(job.rule.snakefile).parent / job.rule.script).resolve())
    return out


def test_every_rule_environment_holds_what_its_code_imports(rule_envs):
    assert {"figure", "animation", "report", "gan_evaluate", "fit_exact"} <= set(rule_envs)
    missing = {}
    for rule, (env, script) in rule_envs.items():
        lacking = distributions(third_party(script, LAZY)) - set(env_pins(env))
        if lacking:
            missing[rule] = (env.name, sorted(lacking))
    assert not missing, f"rules whose conda environment lacks what their code imports: {missing}"


def test_the_import_collector_sees_function_level_and_dynamic_imports():
    animation = third_party(REPO / "workflow" / "scripts" / "animation.py")
    assert "imageio" in animation  # imported inside a function of gandiv.figures.swissroll_kl
    figure = third_party(REPO / "workflow" / "scripts" / "figure.py")
    assert {"numpy", "scipy", "matplotlib", "pandas", "yaml", "keras"} <= figure  # keras: update_rules' losses
    assert "keras" not in third_party(REPO / "workflow" / "scripts" / "figure.py", LAZY)
    assert "keras" in third_party(REPO / "workflow" / "scripts" / "gan_train.py", LAZY)  # also at module level
    assert distributions({"yaml", "imageio"}) == {"pyyaml", "imageio"}


def test_environments_pin_what_requirements_pins():
    required = pins((REPO / "requirements.txt").read_text().splitlines())
    for env in sorted((REPO / "envs").glob("*.yaml")):
        differ = {name: (version, required.get(name)) for name, version in env_pins(env).items()
                  if required.get(name) != version}
        assert not differ, f"{env.name} pins differently from requirements.txt (env, requirements): {differ}"
    cpu, gpu = env_pins(REPO / "envs" / "gan.yaml"), env_pins(REPO / "envs" / "gan-gpu.yaml")
    assert cpu == gpu  # the same packages; only the TensorFlow build differs (tensorflow-cpu / tensorflow[and-cuda])


def test_pyproject_declares_every_runtime_dependency():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {normalise(r.name) for r in requirements(project["dependencies"])}
    pinned = pins((REPO / "requirements.txt").read_text().splitlines())
    for r in requirements(project["dependencies"]):  # each range admits the pinned version
        assert r.specifier.contains(pinned[normalise(r.name)]), (str(r), pinned[normalise(r.name)])
    used = set()
    for module in SRC.joinpath("gandiv").rglob("*.py"):
        found, _ = imports(module)
        used |= {name.split(".")[0] for name in found}
    needed = distributions({m for m in used if m not in sys.stdlib_module_names and m not in ("gandiv", "__future__")})
    assert needed <= declared, f"imported by gandiv but not in pyproject.toml: {sorted(needed - declared)}"


@pytest.mark.slow
def test_no_job_loads_a_distribution_its_environment_lacks(smoke_run, rule_envs):
    # Each job of the session's smoke run recorded the top-level modules loaded when it ended
    # (gandiv.pipeline.runtime): those of the project's pinned distributions must be in the job's environment.
    import json

    pinned = set(pins((REPO / "requirements.txt").read_text().splitlines()))
    provided = metadata.packages_distributions()
    wrong = {}
    for record in map(json.loads, (p.read_text() for p in (smoke_run / "config-reads").glob("*.json"))):
        rule = record["job"].split(":")[0]
        env = set(env_pins(rule_envs[rule][0]))
        loaded = {normalise(d) for m in record["modules"] for d in provided.get(m, [])} & pinned
        if loaded - env - PROVIDED:
            wrong[record["job"]] = sorted(loaded - env - PROVIDED)
    assert not wrong, wrong
    figure_jobs = [r for r in (json.loads(p.read_text()) for p in (smoke_run / "config-reads").glob("figure:*"))]
    assert figure_jobs and not any("keras" in r["modules"] for r in figure_jobs)  # the LAZY imports stay unused


MACOS_ARM = {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin", "os_name": "posix",
             "python_version": "3.11", "python_full_version": "3.11.7", "implementation_name": "cpython",
             "platform_python_implementation": "CPython"}


def test_requirements_pick_a_tensorflow_build_per_platform():
    chosen = lambda env: [r.name for r in requirements((REPO / "requirements.txt").read_text().splitlines())
                          if r.name.startswith("tensorflow") and (r.marker is None or r.marker.evaluate(env))]
    linux = dict(MACOS_ARM, sys_platform="linux", platform_machine="x86_64", platform_system="Linux")
    assert chosen(linux) == ["tensorflow-cpu"] and chosen(MACOS_ARM) == ["tensorflow"]
    gpu = pins((REPO / "requirements-gpu.txt").read_text().splitlines())
    assert gpu == {"tensorflow": pins((REPO / "requirements.txt").read_text().splitlines())["tensorflow"]}


@pytest.mark.slow
def test_the_requirements_install_from_wheels_on_macos_apple_silicon(tmp_path):
    # pip evaluates markers for the running machine, not for --platform: select macOS's lines first. Snakemake
    # and its executor plugins are checked without their dependencies (one of those ships as an sdist only, which
    # --platform cannot build); everything else, TensorFlow's tree included, is resolved in full.
    import subprocess

    mac = [r for r in requirements((REPO / "requirements.txt").read_text().splitlines())
           if r.marker is None or r.marker.evaluate(MACOS_ARM)]
    for name, reqs, extra in (("full", [r for r in mac if not r.name.startswith("snakemake")], []),
                              ("snakemake", [r for r in mac if r.name.startswith("snakemake")], ["--no-deps"])):
        listed = tmp_path / f"{name}.txt"
        listed.write_text("".join(f"{r.name}=={next(iter(r.specifier)).version}\n" for r in reqs))
        result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--only-binary=:all:",
                                 "--platform", "macosx_12_0_arm64", "--python-version", "3.11", "--target",
                                 str(tmp_path / "target"), *extra, "-r", str(listed)],
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stderr[-2000:]
