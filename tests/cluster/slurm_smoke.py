"""The smoke config through profiles/slurm on a real single-node SLURM started here, on localhost.

    python tests/cluster/slurm_smoke.py               # `make test-cluster`: fails if SLURM cannot be set up
    python tests/cluster/slurm_smoke.py --if-possible # says plainly that it skipped, and why, where SLURM cannot be set up

It installs Debian's slurm-wlm and munge (needs root and the package mirror), writes a
one-node slurm.conf (2 CPUs as `slurmd -C` reports them, one GPU gres backed by a dummy
device file, no accounting) under /tmp/gandiv-slurm, starts munged, slurmctld and slurmd by
hand (no systemd here; slurmd gets its config from slurmctld, "configless") and stops exactly
those processes by their ids at the end, also when interrupted.

Then it runs config/smoke.yaml (GAN trainings 2000 steps), with `gan.device: gpu` and the objectives zoo's
`device: gpu` (every `gan_train` job a GPU job), through a copy of profiles/slurm that
only sets the partition, the account and the squeue status command, kills one GAN training
mid-run with SIGKILL through `scancel`, and checks that
- every job went through SLURM (a SLURM job id per job in Snakemake's log, known to slurmctld),
- the GAN jobs were scheduled as GPU jobs (a GPU gres in each one's SLURM job record),
- the killed job was resubmitted (profile `retries`) and finished,
- every table, verdict and trained model equals those of a plain local smoke run.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from profile_rules import unknown_rule_keys, workflow_rules  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
BASE = Path("/tmp/gandiv-slurm")
LOCK = Path("/tmp/gandiv-slurm.lock")  # one test run per machine: they share BASE and SLURM's ports
PACKAGES = ["slurm-wlm", "munge"]
DAEMONS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel"]
PARTITION, ACCOUNT = "debug", "gandiv"


class Unavailable(Exception):
    """SLURM cannot be set up on this machine (not a failure of the workflow)."""


def say(message: str) -> None:
    print(f"[slurm-smoke] {message}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


# ----------------------------------------------------------------- setting SLURM up

def install() -> None:
    """Debian's slurm-wlm and munge, unless already installed."""
    if os.geteuid() != 0:
        raise Unavailable("not root: installing Debian packages and starting daemons needs root")
    if shutil.which("apt-get") is None:
        raise Unavailable("no apt-get: Debian's packages are not available")
    if all(shutil.which(d) for d in DAEMONS):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    say(f"installing {' '.join(PACKAGES)} from Debian")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    try:
        result = run(command, env=env, timeout=900)
        if result.returncode != 0:
            run(["apt-get", "update", "-q"], env=env, timeout=600)
            result = run(command, env=env, timeout=900)
    except subprocess.TimeoutExpired as timeout:
        raise Unavailable(f"apt-get did not finish in {timeout.timeout:.0f} s (package mirror unreachable?)")
    if result.returncode != 0:
        raise Unavailable(f"apt-get could not install {PACKAGES}: {result.stderr.strip()[-500:]}")
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if missing:
        raise RuntimeError(f"installed {PACKAGES} but {missing} are not on PATH")


def node_line() -> str:
    """This machine as slurmd sees it (CPUs, sockets, cores, memory), so the node is never drained."""
    result = run(["slurmd", "-C"])
    line = result.stdout.splitlines()[0] if result.returncode == 0 and result.stdout else ""
    if not line.startswith("NodeName="):
        raise RuntimeError(f"`slurmd -C` gave no node description: {result.stdout} {result.stderr}")
    return line


def write_config(host: str) -> Path:
    """slurm.conf and gres.conf for one node with one (dummy) GPU, under BASE."""
    if BASE.exists():
        shutil.rmtree(BASE)
    for sub in ("state", "spool", "logs"):
        (BASE / sub).mkdir(parents=True)
    dummy_gpu = BASE / "dummy-gpu0"  # a GPU gres needs a device file; nothing ever opens it
    dummy_gpu.touch()
    node = node_line()
    node = re.sub(r"^NodeName=\S+", f"NodeName={host} NodeAddr=127.0.0.1", node)
    node = re.sub(r"\s*UpTime=\S+", "", node)
    conf = BASE / "slurm.conf"
    conf.write_text(f"""\
# Single-node SLURM on localhost for tests/cluster/slurm_smoke.py (written by it).
ClusterName=gandiv
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={BASE}/state
SlurmdSpoolDir={BASE}/spool
SlurmctldPidFile={BASE}/slurmctld.pid
SlurmdPidFile={BASE}/slurmd.pid
SlurmctldLogFile={BASE}/logs/slurmctld.log
SlurmdLogFile={BASE}/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# slurmd fetches this file (and gres.conf) from slurmctld and keeps it under /run/slurm/conf, where
# srun inside a job finds it (the jobstep plugin drops SLURM_CONF from the job's environment)
SlurmctldParameters=enable_configless
# finished jobs stay visible to squeue/scontrol for an hour (the plugin's squeue status check needs it)
MinJobAge=3600
ReturnToService=2
{node} Gres=gpu:1 State=UNKNOWN
PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
    (BASE / "gres.conf").write_text(f"NodeName={host} Name=gpu File={dummy_gpu}\n")
    return conf


class Daemons:
    """munged, slurmctld and slurmd started here in the foreground; stopped by their process ids."""

    def __init__(self, conf: Path):
        self.conf, self.processes = conf, []

    def start(self) -> None:
        munge_dir = Path("/run/munge")
        munge_dir.mkdir(parents=True, exist_ok=True)
        key = Path("/etc/munge/munge.key")
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            key.write_bytes(os.urandom(1024))
            key.chmod(0o400)
        self._spawn("munged", ["munged", "--foreground", "--force", f"--key-file={key}",
                               f"--socket={munge_dir}/munge.socket.2", f"--pid-file={BASE}/munged.pid",
                               f"--log-file={BASE}/logs/munged.log", f"--seed-file={BASE}/munged.seed"])
        self._wait(lambda: run(["munge", "-n"]).returncode == 0, "munged to answer")
        if "UP" in run(["scontrol", "ping"], timeout=30).stdout:  # else its answers would pass for ours
            raise RuntimeError("a SLURM controller already answers on this machine's port; stop it first")
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._wait(lambda: run(["scontrol", "ping"]).stdout.count("UP") > 0, "slurmctld to answer")
        self._spawn("slurmd", ["slurmd", "-D", "--conf-server", "127.0.0.1"])
        self._wait(lambda: run(["sinfo", "-h", "-o", "%T"]).stdout.strip() in ("idle", "mixed", "allocated"),
                   "the node to become idle")

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(BASE / "logs" / f"{name}.stdout", "w")
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=cluster_env())
        self.processes.append((name, process))
        say(f"started {name} (pid {process.pid})")

    def _wait(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {BASE}/logs/")
            if ready():
                return
            time.sleep(1)
        raise RuntimeError(f"timed out waiting for {what}; see {BASE}/logs/")

    def stop(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            say(f"stopped {name} (pid {process.pid})")
        self.processes.clear()
        link = Path("/run/slurm/conf")  # left by configless slurmd; points into BASE
        if link.is_symlink() and str(BASE) in os.readlink(link):
            link.unlink()


def cluster_env() -> dict:
    return dict(os.environ, SLURM_CONF=str(BASE / "slurm.conf"))


# ----------------------------------------------------------------- the runs

def slurm_profile(folder: Path) -> Path:
    """profiles/slurm with this cluster's partition and account, and squeue status checks (no accounting)."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"] |= {"slurm_partition": PARTITION, "slurm_account": ACCOUNT}
    profile["slurm-status-command"] = "squeue"
    profile["slurm-init-seconds-before-status-checks"] = 5
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return folder


def smoke_config(folder: Path, device: str) -> Path:
    config = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    config["gan"]["device"] = device
    config["figures"]["objectives-zoo"]["device"] = device  # zoo runs are GAN runs too (one gan_train rule)
    config["gan"]["steps"] = 2000  # both runs: a training long enough to be caught and killed inside
    path = folder / f"smoke-{device}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake(workdir: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Snakemake in its own process group, killed whole (with the jobs it started) if it overruns."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), *args]
    process = subprocess.Popen(cmd, cwd=workdir, env=cluster_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        err += f"\n[slurm-smoke] snakemake killed after {timeout:.0f} s"
    except BaseException:  # e.g. SIGTERM's SystemExit: take Snakemake and its local jobs down too
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return subprocess.CompletedProcess(cmd, process.returncode, out, err)


class Killer(threading.Thread):
    """SIGKILLs the first GAN training job caught inside its training (SIGKILL to every process of the job).

    A job is inside its training once its own log says "training ..." and not yet "... steps in".
    """

    def __init__(self, workdir: Path):
        super().__init__(daemon=True)
        self.workdir, self.killed, self.stop = workdir, None, threading.Event()

    def training_log(self, job_id: str) -> Path | None:
        """The job's own log (logs/...), read off the rule block Snakemake prints in the SLURM job's output."""
        stdout = re.search(r"StdOut=(\S+)", job_record(job_id))
        if not stdout or not Path(stdout.group(1)).exists():
            return None
        log = re.search(r"^\s+log: (\S+)", Path(stdout.group(1)).read_text(), flags=re.M)
        return self.workdir / log.group(1) if log else None

    def run(self) -> None:
        while not self.stop.is_set() and self.killed is None:
            for line in run(["squeue", "-h", "-o", "%i|%k|%T"]).stdout.splitlines():
                job_id, comment, state = line.split("|")
                if "gan_train" not in comment or state != "RUNNING":
                    continue
                log = self.training_log(job_id)
                text = log.read_text() if log and log.exists() else ""
                if "training " in text and " steps in " not in text:
                    run(["scancel", "--signal=KILL", "--full", job_id])
                    self.killed = (job_id, comment)
                    say(f"killed SLURM job {job_id} ({comment}) inside its training with SIGKILL")
                    return
            time.sleep(0.2)


def cancel_all_jobs() -> None:
    """Cancel whatever is still queued or running (after a failure), and wait until the queue is empty.

    Bounded in time: with the controller gone, SLURM commands retry for minutes.
    """
    deadline = time.time() + 60
    try:
        run(["scancel", f"--partition={PARTITION}", "--full"], timeout=20)
        while run(["squeue", "-h"], timeout=20).stdout.strip() and time.time() < deadline:
            time.sleep(1)
    except subprocess.TimeoutExpired:
        say("the controller does not answer; leaving the queue as it is")


def job_record(job_id: str) -> str:
    return run(["scontrol", "show", "job", job_id], env=cluster_env()).stdout


def job_state(job_id: str) -> str:
    state = re.search(r"JobState=(\w+)", job_record(job_id))
    return state.group(1) if state else "unknown"


# ----------------------------------------------------------------- checks

def _verdict_without_times(path: Path) -> dict:
    """A verdict record less its provenance's run time (the jobs' wall times differ between runs) and config hash
    (the two configs differ by design in the GAN jobs' `device`, which the hash covers); its numbers, commit,
    versions, jobs and run folders must not differ."""
    record = json.loads(path.read_text())
    for key in ("upstream_job_s", "config_sha256"):
        record.get("provenance", {}).pop(key, None)
    return record


def compare_outputs(local: Path, cluster: Path) -> list[str]:
    """Every table, verdict (its provenance's run time and config hash aside) and trained model must be identical;
    run times and logs may differ."""
    problems = []
    files = sorted(p.relative_to(local) for p in (local / "figures").glob("*.csv"))
    files += sorted(p.relative_to(local) for p in (local / "results" / "verdicts").glob("*.json"))
    files += sorted(p.relative_to(local) for p in (local / "results").rglob("history.csv"))
    files += sorted(p.relative_to(local) for p in (local / "results" / "fits").rglob("*.json"))
    if not files:
        return ["the local run wrote no tables"]
    for rel in files:
        if not (cluster / rel).exists():
            problems.append(f"missing on the cluster run: {rel}")
        elif rel.parts[:2] == ("results", "verdicts"):
            if _verdict_without_times(cluster / rel) != _verdict_without_times(local / rel):
                problems.append(f"differs: {rel}")
        elif (cluster / rel).read_bytes() != (local / rel).read_bytes():
            problems.append(f"differs: {rel}")
    for snapshots in sorted((local / "results" / "gan").rglob("snapshots.npz")):
        other = cluster / snapshots.relative_to(local)
        if not other.exists():
            problems.append(f"missing on the cluster run: {other.relative_to(cluster)}")
            continue
        a, b = np.load(snapshots), np.load(other)
        if any(not np.array_equal(a[k], b[k]) for k in a.files):
            problems.append(f"differs: {snapshots.relative_to(local)}")
    say(f"compared {len(files)} tables/verdicts/histories and the GAN snapshots byte for byte")
    return problems


def check(workdir: Path, local: Path, result: subprocess.CompletedProcess, killer: Killer) -> list[str]:
    log = result.stdout + result.stderr
    problems = []
    submitted = re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log)
    finished = {job for job, rule in re.findall(r"Finished jobid: (\d+) \(Rule: (\w+)\)", log) if rule != "all"}
    through_slurm = {job for job, _ in submitted}
    say(f"{len(submitted)} submissions to SLURM (retries included) for {len(finished)} finished jobs")
    if not finished or not finished <= through_slurm:
        problems.append(f"jobs finished without a SLURM job id: {sorted(finished - through_slurm)}")
    unknown = [sid for _, sid in submitted if "JobId=" not in job_record(sid)]
    if unknown:
        problems.append(f"SLURM job ids unknown to slurmctld: {unknown}")
    gan_ids = [sid for _, sid in submitted if "gan_train" in job_record(sid)]
    if not gan_ids:
        problems.append("no gan_train job went through SLURM")
    for sid in gan_ids:
        record = job_record(sid)
        if "gres/gpu" not in record and "gpu:1" not in record:
            problems.append(f"gan_train SLURM job {sid} was not scheduled with a GPU:\n{record}")
    say(f"{len(gan_ids)} gan_train SLURM jobs, each with a GPU gres in its allocation")
    devices = sorted({m for p in (workdir / "logs" / "results" / "gan").rglob("*.log")
                      for m in re.findall(r"CUDA_VISIBLE_DEVICES=\S+", p.read_text())})
    say(f"the trainings' own logs say: {', '.join(devices) or 'nothing about devices'} (no real GPU here)")
    if killer.killed is None:
        problems.append("no GAN training was seen running long enough to be killed")
    else:
        job_id, comment = killer.killed
        say(f"killed job {job_id} ended {job_state(job_id)}")
        resubmitted = [sid for _, sid in submitted if sid != job_id and comment in job_record(sid)]
        if not resubmitted:
            problems.append(f"the killed job ({comment}) was not resubmitted")
        elif job_state(resubmitted[-1]) != "COMPLETED":
            problems.append(f"the resubmitted job {resubmitted[-1]} ended {job_state(resubmitted[-1])}")
        else:
            say(f"resubmitted as SLURM job {resubmitted[-1]}, which COMPLETED")
    return problems + compare_outputs(local, workdir)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # still stop the daemons (finally)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-possible", action="store_true",
                        help="skip (exit 0, saying why) when SLURM cannot be set up here")
    args = parser.parse_args()
    unknown = unknown_rule_keys(REPO / "profiles" / "slurm" / "config.yaml", workflow_rules())
    if unknown:  # a configuration error of the project, not a missing SLURM: fail even with --if-possible
        say(f"FAILED: profiles/slurm/config.yaml sets resources for rules the workflow does not have: "
            f"{', '.join(unknown)}; its rules: {', '.join(sorted(workflow_rules()))}")
        return 1
    try:
        install()
    except Unavailable as reason:
        if args.if_possible:
            say(f"SKIPPED the SLURM cluster test: {reason}")
            return 0
        say(f"cannot set up SLURM: {reason}")
        return 1

    lock = open(LOCK, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say(f"another SLURM test holds {LOCK}: runs on one machine share {BASE} and SLURM's ports")
        return 1
    host = socket.gethostname().split(".")[0]
    conf = write_config(host)
    os.environ["SLURM_CONF"] = str(conf)  # every SLURM command below (and in jobs) reads this cluster's config
    daemons = Daemons(conf)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="gandiv-slurm-smoke-") as tmp:
        tmp = Path(tmp)
        try:
            daemons.start()
            say("local smoke run (reference)")
            local = snakemake(tmp / "local", "--cores", "2", "--configfile", str(smoke_config(tmp, "cpu")))
            if local.returncode != 0:
                say(f"the local smoke run failed:\n{local.stderr[-3000:]}")
                return 1
            say("smoke run through profiles/slurm (GAN jobs as GPU jobs), killing one training mid-run")
            killer = Killer(tmp / "cluster")
            killer.start()
            cluster = snakemake(tmp / "cluster", "--workflow-profile", str(slurm_profile(tmp / "profile")),
                                "--configfile", str(smoke_config(tmp, "gpu")))
            killer.stop.set()
            if cluster.returncode != 0:
                say(f"the SLURM smoke run failed:\n{cluster.stderr[-4000:]}")
                return 1
            problems = check(tmp / "cluster", tmp / "local", cluster, killer)
        finally:
            if daemons.processes:
                cancel_all_jobs()
            daemons.stop()
    if problems:
        say("FAILED:\n  " + "\n  ".join(problems))
        return 1
    say(f"PASSED in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
