"""Start a grading kernel confined: the launcher it runs through, and the home it starts from.

A kernel is confined in the process that becomes it, just before: jupyter_client starts

    python -I -m from_memory.engine.launcher LAUNCH_JSON -- python -m ipykernel_launcher -f conn.json

(:func:`command` builds it), which applies the memory limit and the sandbox of its
:class:`~from_memory.engine.launch.Launch` (:func:`from_memory.engine.launch.apply`: its
folder is its working directory, its TCP ports those of its connection file), then
``exec``s the kernel. Once per batch, :func:`kernel_home` prepares the private home whose environment
variables let such a kernel start without writing outside its folder.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from from_memory.engine.launch import Launch, apply
from from_memory.engine.sandbox import KERNEL_HOME_VAR

# Run once, unconfined, with the kernels' environment: what they would otherwise create.
_PREPARE = """
import os
from IPython.core.profiledir import ProfileDir
os.makedirs(os.environ["IPYTHONDIR"], exist_ok=True)
ProfileDir.create_profile_dir_by_name(os.environ["IPYTHONDIR"], "default")
import matplotlib
matplotlib.use("Agg")
import matplotlib.font_manager  # builds the font cache in MPLCONFIGDIR
for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
    os.makedirs(os.environ[name], exist_ok=True)
"""
# Seconds the preparation may take: a few on an idle machine, about 30 beside a full load.
PREPARE_TIMEOUT = 600
# History is kept in memory: a kernel has nowhere to write it.
_KERNEL_CONFIG = 'c.HistoryManager.hist_file = ":memory:"\n'


def kernel_home(folder) -> dict[str, str]:
    """Prepare ``folder`` as the home of a batch's kernels; return their environment variables.

    A confined kernel may write only in its own folder, but IPython and matplotlib
    expect to write in the user's home when they start (a fresh machine has no
    ``~/.ipython/profile_default``: the kernel dies with "Permission denied"). Here the
    IPython profile (history in memory), matplotlib's font cache and Jupyter's folders
    are made once, by an unconfined Python, so kernels only read them. Call it once per
    batch, add the result to the kernels' environment; :func:`kernel_policy` keeps the
    folder readable. Takes a few seconds (the font cache).
    """
    import subprocess

    home = Path(folder).resolve()
    env = {
        "HOME": home,
        "IPYTHONDIR": home / ".ipython",
        "MPLCONFIGDIR": home / ".config" / "matplotlib",
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local" / "share" / "jupyter",
        "JUPYTER_RUNTIME_DIR": home / ".local" / "share" / "jupyter" / "runtime",
        KERNEL_HOME_VAR: home,
    }
    env = {name: str(value) for name, value in env.items()}
    home.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PREPARE],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=PREPARE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"could not prepare the kernels' home {home}: Python did not finish making IPython's"
            f" profile and matplotlib's font cache in {PREPARE_TIMEOUT:g} s"
        ) from None
    if done.returncode:
        raise RuntimeError(f"could not prepare the kernels' home {home}: {done.stderr.strip()}")
    (Path(env["IPYTHONDIR"]) / "profile_default" / "ipython_kernel_config.py").write_text(
        _KERNEL_CONFIG
    )
    return env


# -- the launcher: confine, then become the kernel -------------------------------------


def command(launch: Launch, kernel_command, *, report=None) -> list[str]:
    """The command that starts ``kernel_command`` as ``launch`` says: a KernelManager's kernel command.

    Python runs the launcher isolated (``-I``): it starts in the student's folder, before
    the confinement, so it must not import from there (a submitted ``resource.py`` or
    ``json.py`` would run unconfined). The kernel it becomes imports as usual, confined.
    """
    described = dataclasses.replace(launch, env={}).to_json()  # the environment goes to Popen, not argv
    cmd = [sys.executable, "-I", "-m", "from_memory.engine.launcher", described]
    if report:
        cmd += ["--report", str(report)]
    return [*cmd, "--", *kernel_command]


def _connection_file(command: list[str]) -> str | None:
    """The file after ``-f`` in a Jupyter kernel's command, if any."""
    for flag, value in itertools.pairwise(command):
        if flag in ("-f", "--f"):
            return value
    return None


def main(argv=None) -> None:
    """``python -I -m from_memory.engine.launcher LAUNCH_JSON [--report FILE] -- KERNEL COMMAND``.

    Applies the launch's memory limit and sandbox to this process (its folder: the working
    directory; its ports: those of the kernel's connection file), writes what is enforced
    to ``--report`` as JSON, then becomes the kernel.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m from_memory.engine.launcher")
    parser.add_argument("launch", help="the Launch, as JSON")
    parser.add_argument("--report", help="write what is enforced here, as JSON")
    parser.add_argument("command", nargs="+", help="the kernel's command, after --")
    args = parser.parse_args(argv)
    launch = Launch.from_json(args.launch)
    report = open(args.report, "w") if args.report else None  # noqa: SIM115 - opened before confine
    enforced = apply(launch.memory_mb, launch.sandbox, _connection_file(args.command))
    if report:
        with report:
            json.dump(asdict(enforced) if enforced is not None else None, report)
    os.execv(args.command[0], args.command)


if __name__ == "__main__":
    main()
