"""Autograde on a Dask cluster: a 2-worker LocalCluster against the local pool.

One temporary copy of the course (config, source/, release/) is released once; each
test copies it and hands in submissions made by :mod:`from_memory.examples.submissions`, named
by outcome. The cluster (2 worker processes, 1 thread each, behind nannies) is shared
by the module; the tests that kill a worker come last and wait for it to be back.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from exits import exited

from from_memory import course
from from_memory.engine.grading import autograde
from from_memory.examples import submissions

try:
    import distributed
except ImportError as missing:  # fail, never skip: `make test` installs the extra
    raise ImportError("these tests need the `scale` extra: pip install -e '.[test,scale]'") from missing

pytestmark = pytest.mark.nbgrader

REPO = Path(__file__).resolve().parents[1]
PS = "ps1_forward"
STEP = "forward"
SLEEP = 6  # seconds a "slow" notebook sleeps: long enough to be killed mid-notebook


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("released") / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source" / PS, root / "source" / PS)
    shutil.copytree(REPO / "release" / PS, root / "release" / PS)
    course.release(root, [PS])
    return root


@pytest.fixture(scope="module")
def cluster():
    # ":0": the scheduler's HTTP server takes any free port (None still tries 8787, and a
    # busy 8787 is a warning that strict test settings turn into a failed start).
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local, distributed.Client(local) as client:
        yield local, client


def class_of(released: Path, folder: Path, made: dict) -> Path:
    """A copy of the released course with ``made`` ({student: notebook}) handed in."""
    root = shutil.copytree(released, folder)
    for student, nb in made.items():
        submissions.write_submission(nb, root, student, PS)
    return root


def gradebook(root: Path) -> dict:
    """{(student, grade cell): (auto_score, needs_manual_grade)} as nbgrader's gradebook has them."""
    grades = course.cell_grades(course.sqlite_url(root), [PS])
    return {
        (student, cell): (g.auto_score, g.needs_manual_grade)
        for (student, _, cell), g in grades.items()
    }


def planted() -> str:
    code = submissions.solution_code(PS)[STEP]
    old = "layer_2 = sigmoid(np.dot(layer_1, synapse_1))"
    assert code.count(old) == 1
    return code.replace(old, "layer_2 = np.dot(layer_1, synapse_1)")  # the output's sigmoid forgotten


def slow() -> str:
    """The reference ``forward`` after a sleep; each run appends "<kernel pid> <parent pid>" to runs.txt.

    (The file is in the kernel's own folder: the only place a grading kernel may write.)
    """
    return (
        "import os, time\n"
        "with open('runs.txt', 'a') as f:\n"
        "    f.write(f'{os.getpid()} {os.getppid()}\\n')\n"
        f"time.sleep({SLEEP})\n" + submissions.solution_code(PS)[STEP]
    )


def runs(marker: Path) -> list[tuple[int, int]]:
    if not marker.exists():
        return []
    lines = [line.split() for line in marker.read_text().splitlines()]
    return [(int(line[0]), int(line[1])) for line in lines if len(line) == 2]  # whole lines only


def kill_the_worker_running_it(client, marker: Path) -> int:
    """Wait for the first run of the slow notebook, then SIGKILL the Dask worker running it."""
    deadline = time.monotonic() + 90
    while not runs(marker):
        assert time.monotonic() < deadline, "the slow notebook never started"
        time.sleep(0.1)
    parent = runs(marker)[0][1]
    workers = client.run(os.getpid)  # {address: pid}
    assert parent in workers.values(), "the kernel should be a child of a Dask worker process"
    os.kill(parent, signal.SIGKILL)
    return parent


def gone(pid: int, within: float) -> bool:
    """Whether ``pid`` exits within ``within`` seconds (a zombie has: :func:`exits.exited`)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if exited(pid):
            return True
        time.sleep(0.2)
    return False


def test_dask_grades_equal_the_local_pool(released, cluster, tmp_path):
    """Do a LocalCluster and the local pool leave the same gradebook, outcomes and folders?"""
    _, client = cluster
    made = {
        "passes-all": submissions.passes_all(PS),
        "blank": submissions.blank(PS),
        f"fails-{STEP}": submissions.with_function(PS, STEP, planted()),
        "kernel-crash": submissions.with_function(PS, STEP, "import os\nos._exit(1)"),
    }
    local = class_of(released, tmp_path / "local", made)
    dask = class_of(released, tmp_path / "dask", made)
    by_pool = autograde(local, jobs=2, timeout=120, progress=False)
    by_dask = autograde(dask, timeout=120, progress=False, scheduler=client.scheduler.address)

    expected = gradebook(local)
    assert gradebook(dask) == expected
    # The class spreads over outcomes: full marks, nothing, one step's points, a crash.
    scores = {o.student: (o.status, o.score, o.reason) for o in by_pool}
    assert scores["passes-all"][:2] == ("graded", 5.0)
    assert scores["blank"][:2] == ("graded", 0.0)
    assert 0 < scores[f"fails-{STEP}"][1] < 5
    assert scores["kernel-crash"] == ("failed", None, "kernel died (exit code 1)")
    assert {o.student: (o.status, o.score, o.reason) for o in by_dask} == scores
    assert sorted(p.name for p in (dask / "autograded").iterdir()) == sorted(
        p.name for p in (local / "autograded").iterdir()
    )


def test_dask_keeps_the_time_and_memory_limits(released, cluster, tmp_path):
    """Inside a Dask task, does a hanging notebook time out and a huge allocation fail in the kernel?"""
    _, client = cluster
    reference = submissions.solution_code(PS)[STEP]
    root = class_of(released, tmp_path / "course", {
        "passes-all": submissions.passes_all(PS),
        "hangs": submissions.with_function(PS, STEP, "while True:\n    pass"),
        "hog": submissions.with_function(PS, STEP, "big = bytearray(3 * 1024 ** 3)\n" + reference),
    })
    started = time.monotonic()
    outcomes = autograde(root, timeout=15, memory_mb=1536, progress=False, scheduler=client)
    assert time.monotonic() - started < 90
    by_student = {o.student: o for o in outcomes}
    assert (by_student["passes-all"].status, by_student["passes-all"].score) == ("graded", 5.0)
    assert by_student["hangs"].failed
    assert by_student["hangs"].reason.startswith("timed out after 15 s")
    assert by_student["hog"].status == "graded"  # the allocation failed inside the kernel, not the worker
    import nbformat

    nb = nbformat.read(root / "autograded" / "hog" / PS / f"{PS}.ipynb", as_version=4)
    errors = [o.ename for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert "MemoryError" in errors


def test_the_cli_grades_on_the_cluster_named_by_scheduler(released, cluster, tmp_path, capsys):
    """`from-memory autograde --scheduler ADDRESS`: graded on the cluster, recorded in the course's gradebook."""
    from from_memory.course import cli

    _, client = cluster
    client.wait_for_workers(2, timeout=60)
    root = class_of(released, tmp_path / "course", {"ada": submissions.passes_all(PS)})
    address = client.scheduler.address
    assert cli.main(["autograde", "--course", str(root), "--scheduler", address]) == 0
    out = capsys.readouterr().out
    assert f"ada/{PS}/{PS}: graded 5/5" in out
    assert gradebook(root)[("ada", "test_forward")] == (2.0, False)


def grade_killing_a_worker(released, client, folder: Path):
    """Grade a slow student beside a correct one, killing the Dask worker that runs the slow one.

    Returns the course root, the slow notebook's runs file, the outcomes, the killed worker,
    and the runs recorded when it was killed.
    """
    client.wait_for_workers(2, timeout=60)
    root = class_of(released, folder, {
        "slow": submissions.with_function(PS, STEP, slow()),
        "passes-all": submissions.passes_all(PS),
    })
    marker = root / "autograded" / "slow" / PS / "runs.txt"
    graded = {}
    thread = threading.Thread(
        target=lambda: graded.setdefault("outcomes", autograde(root, timeout=120, progress=False, scheduler=client))
    )
    thread.start()
    killed = kill_the_worker_running_it(client, marker)
    killed_runs = runs(marker)
    thread.join(180)
    assert not thread.is_alive()
    return root, marker, graded["outcomes"], killed, killed_runs


def test_a_notebook_whose_worker_is_killed_is_rerun_on_another(released, cluster, tmp_path):
    """Killed worker mid-notebook: is the notebook run again and graded, and its old kernel gone?"""
    _local, client = cluster
    root, marker, outcomes, killed, _ = grade_killing_a_worker(released, client, tmp_path / "course")

    by_student = {o.student: o for o in outcomes}
    assert set(by_student) == {"slow", "passes-all"}
    assert (by_student["slow"].status, by_student["slow"].score) == ("graded", 5.0)
    first, second = runs(marker)
    assert second[1] != killed  # run again, by another worker process
    assert gone(first[0], within=10), "the dead worker's kernel should exit by itself"
    book = gradebook(root)
    assert {cell: v for (s, cell), v in book.items() if s == "slow"} == {
        cell: v for (s, cell), v in book.items() if s == "passes-all"
    }


def test_a_notebook_is_flagged_when_dask_gives_up_on_it(released, cluster, tmp_path):
    """With no retries left after a worker death, is the notebook flagged with a reason, not lost?"""
    local, client = cluster
    allowed = local.scheduler.allowed_failures
    local.scheduler.allowed_failures = 0  # the first worker death is the last
    try:
        root, _, outcomes, _, killed_runs = grade_killing_a_worker(released, client, tmp_path / "course")
    finally:
        local.scheduler.allowed_failures = allowed

    by_student = {o.student: o for o in outcomes}
    assert set(by_student) == {"slow", "passes-all"}
    assert by_student["passes-all"].status == "graded"
    assert by_student["slow"].failed
    assert "Dask worker" in by_student["slow"].reason
    assert "died" in by_student["slow"].reason
    assert len(killed_runs) == 1
    assert not (root / "autograded" / "slow" / PS).exists()  # as nbgrader leaves a failed submission
    assert all(score is None for (student, _), (score, _) in gradebook(root).items() if student == "slow")


def test_a_worker_without_the_course_folder_runs_the_shipped_copy(tmp_path):
    """On another machine (the notebook's path missing there), does the task run the files it carries?"""
    import nbformat
    from traitlets.config import Config

    from from_memory.engine.cluster import _folder_files, run_submission
    from from_memory.engine.worker import Job, Limits

    folder = tmp_path / "autograded" / "ada" / PS
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nprint(os.path.basename(os.getcwd()), open('data.txt').read())"
    )])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{PS}.ipynb")
    (folder / "data.txt").write_text("shipped")
    files = _folder_files(str(folder / f"{PS}.ipynb"))
    elsewhere = tmp_path / "not-on-this-worker" / "autograded" / "ada" / PS / f"{PS}.ipynb"
    job = Job(1, [str(elsewhere)], dict(os.environ))

    result = run_submission(job, files, Config(), Limits(memory_mb=2048, notebook_timeout=60))

    assert result.ok, result.notebooks[0].reason
    assert result.notebooks[0].path == str(elsewhere)
    (output,) = result.notebooks[0].notebook["cells"][0]["outputs"]
    assert output["text"].strip() == f"{PS} shipped"
    assert not elsewhere.parent.exists()


def test_an_unreachable_scheduler_is_one_line_and_grades_nothing(released, tmp_path, capsys):
    import socket

    from from_memory.course import cli

    root = class_of(released, tmp_path / "course", {"ada": submissions.passes_all(PS)})
    with socket.socket() as s:  # a port nobody listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert cli.main(["autograde", "--course", str(root), "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"from-memory: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert not list((root / "autograded").glob("*/*/*.ipynb"))


def test_a_kernel_started_ahead_is_the_one_the_task_uses_and_strays_are_dropped(tmp_path):
    """Does a task take the kernel booted for it, and is one booted for a task that went elsewhere killed?"""
    import nbformat
    from traitlets.config import Config

    from from_memory.engine import cluster as dist
    from from_memory.engine.worker import Job, Limits

    folder = tmp_path / "autograded" / "ada" / PS
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.getpid())")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{PS}.ipynb"
    nbformat.write(nb, path)
    files = dist._folder_files(str(path))
    job = Job(1, [str(path)], dict(os.environ))
    limits = Limits(memory_mb=2048, notebook_timeout=60)

    dist.prestart("test-ahead-1", job, files, Config(), limits)
    warm = dist._WARM["test-ahead-1"]
    assert warm.ready.wait(60)
    pid = warm.kernel.pid
    result = dist.run_submission(job, files, Config(), limits, task_key="test-ahead-1")
    assert result.ok, result.notebooks[0].reason
    assert result.notebooks[0].notebook["cells"][0]["outputs"][0]["text"].strip() == str(pid)
    assert "test-ahead-1" not in dist._WARM
    dist.prestart("test-ahead-1", job, files, Config(), limits)  # too late: the task has begun
    assert "test-ahead-1" not in dist._WARM

    dist.prestart("test-ahead-2", job, files, Config(), limits)  # its task will never come here
    stray = dist._WARM["test-ahead-2"]
    assert stray.ready.wait(60)
    stray_pid = stray.kernel.pid
    assert dist.drop_warm("test-ahead-") == 1
    assert gone(stray_pid, within=10)
