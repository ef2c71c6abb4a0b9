"""The kernel's sandbox: the read rules it computes, and what a confined process can still do.

Each confinement runs in a child process (it cannot be undone); the child prints one line
per probe, ``<name> ok`` or ``<name> refused``, and the test compares them with what the
policy says. Where this machine's Landlock lacks a part, the test checks that
:class:`~from_memory.engine.sandbox.Enforced` says so and that nothing is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import from_memory
from from_memory.engine import landlock, launcher, sandbox
from from_memory.engine.launch import Launch, Sandbox

REPO = Path(from_memory.__file__).resolve().parents[1]
ABI = sandbox.abi_version()
needs_landlock = pytest.mark.skipif(ABI < 1, reason="this Linux kernel has no Landlock")
DIR, FILE = sandbox.DIR_READS, sandbox.FILE_READS

# Run in each confined child before its own code: probe(name, fn) prints one line.
PRELUDE = """
import errno, os, sys
from from_memory.engine import sandbox
def probe(name, fn):
    try:
        fn()
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EXDEV):
            raise
        print(name, "refused")
    else:
        print(name, "ok")
"""


def run_child(code: str, *args, env=None, cwd=None) -> dict[str, str]:
    """Run ``code`` after PRELUDE in a new Python; {probe name: "ok" | "refused" | value}."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


# -- the rules, computed ---------------------------------------------------------------


def _tree(root: Path, spec: dict) -> None:
    """Make files (str content) and folders (dict) under ``root``."""
    for name, value in spec.items():
        if isinstance(value, dict):
            (root / name).mkdir(parents=True, exist_ok=True)
            _tree(root / name, value)
        else:
            (root / name).write_text(value)


def test_read_rules_allow_the_entries_beside_a_protected_folder(tmp_path):
    _tree(tmp_path, {"a": {"x.txt": "", "secret": {"s.txt": ""}}, "b": {"y": ""}, "c.txt": ""})
    rules = sandbox.read_rules([tmp_path / "a" / "secret"], root=tmp_path)
    assert rules == [
        (f"{tmp_path}/a/x.txt", FILE),
        (f"{tmp_path}/b", DIR),
        (f"{tmp_path}/c.txt", FILE),
    ]


def test_read_rules_with_nothing_protected_allow_the_whole_root(tmp_path):
    _tree(tmp_path, {"a": {"x": ""}})
    assert sandbox.read_rules([], [tmp_path / "a"], root=tmp_path) == [(str(tmp_path), DIR)]


def test_read_rules_ignore_paths_that_do_not_exist(tmp_path):
    _tree(tmp_path, {"a": {"x": ""}})
    rules = sandbox.read_rules([tmp_path / "gone"], [tmp_path / "gone" / "x"], root=tmp_path)
    assert rules == [(str(tmp_path), DIR)]


def test_read_rules_protecting_the_root_allow_only_the_exceptions(tmp_path):
    _tree(tmp_path, {"keep": {"x": ""}, "other": {"y": ""}})
    keep = tmp_path.resolve() / "keep"
    assert sandbox.read_rules(["/"], [keep]) == [(str(keep), DIR)]


def test_read_rules_for_a_course_that_holds_its_virtualenv_and_kit(tmp_path):
    """The layout of this repository: the kit and its venv inside the course root."""
    _tree(
        tmp_path,
        {
            "course": {
                "gradebook.db": "",
                "solutions": {"network.py": ""},
                ".venv": {"lib": {"site.py": ""}},
                "kit": {"__init__.py": "", "judge": {"c.py": ""}, "kernel": {"k.py": ""}},
                "autograded": {"ada": {"ps1": {"nb": ""}, "ps2": {}}, "bob": {"ps1": {}}},
            },
            "elsewhere": {"x": ""},
        },
    )
    course = tmp_path / "course"
    rules = sandbox.read_rules(
        [course, course / "kit"],
        [course / ".venv", course / "kit" / "__init__.py", course / "kit" / "kernel"]
        + [course / "autograded" / "ada" / "ps1"],
        listable=[course / "kit"],
        root=tmp_path,
    )
    assert rules == [
        (f"{course}/.venv", DIR),
        (f"{course}/autograded/ada/ps1", DIR),
        (f"{course}/kit", landlock.READ_DIR),
        (f"{course}/kit/__init__.py", FILE),
        (f"{course}/kit/kernel", DIR),
        (f"{tmp_path}/elsewhere", DIR),
    ]


def _expected_readable(path: str, marks: dict[str, bool]) -> bool:
    """The rule of the API, independently: the nearest marked ancestor (or itself) decides."""
    ancestors = [mark for mark in marks if path == mark or path.startswith(mark + "/")]
    return marks[max(ancestors, key=len)] if ancestors else True


def _granted(path: str, rules, right: int) -> bool:
    """What Landlock makes of the rules: a right holds beneath every folder that has it."""
    return any((path == p or path.startswith(p + "/")) and rights & right for p, rights in rules)


def test_read_rules_give_every_path_the_access_of_its_nearest_marked_ancestor(tmp_path):
    """Nested protected paths, exceptions, a protected path inside an exception, symlinks."""
    _tree(
        tmp_path,
        {
            "open.txt": "",
            "pub": {"a.txt": "", "deep": {"b.txt": ""}},
            "course": {
                "gradebook.db": "",
                "solutions": {"net.py": ""},
                "kit": {
                    "__init__.py": "",
                    "judge": {"c.py": ""},
                    "kernel": {"k.py": "", "private": {"p.py": ""}},
                },
                "venv": {"lib": {"site.py": ""}},
                "autograded": {"ada": {"ps1": {"nb": ""}}, "bob": {"ps1": {"nb": ""}}},
            },
            "links": {},
        },
    )
    root = tmp_path.resolve()
    course = root / "course"
    (root / "links" / "to_solutions").symlink_to(course / "solutions")
    (root / "links" / "to_pub").symlink_to(root / "pub")
    (root / "secret_link").symlink_to(course / "solutions")
    protected = [course, course / "kit/kernel/private", root / "secret_link", root / "missing"]
    exceptions = [course / "venv", course / "kit/__init__.py", course / "kit/kernel"]
    exceptions += [course / "autograded/ada/ps1", root / "missing2"]
    rules = sandbox.read_rules(protected, exceptions, listable=[course / "kit"], root=root)

    marks = {os.path.realpath(p): False for p in protected if os.path.lexists(p)}
    marks.update({os.path.realpath(p): True for p in exceptions if os.path.lexists(p)})
    assert marks[str(course / "solutions")] is False  # protected through the symlink
    paths = [str(root)]
    for folder, dirs, files in os.walk(root):
        paths += [os.path.join(folder, name) for name in dirs + files]
    real = [p for p in paths if not os.path.islink(p)]
    for path in real:  # a file is read and run; a folder is listed
        if not os.path.isdir(path):
            expected = _expected_readable(path, marks)
            assert _granted(path, rules, landlock.READ_FILE) == expected, path
            assert _granted(path, rules, landlock.EXECUTE) == expected, path
            continue
        beneath = [q for q in real if q == path or q.startswith(path + "/")]
        whole = all(_expected_readable(q, marks) for q in beneath)
        listed = whole or path == str(course / "kit") or path.startswith(f"{course}/kit/")
        assert _granted(path, rules, landlock.READ_DIR) == listed, path
    assert all(not os.path.islink(p) for p, _ in rules)  # a link gets no rule of its own
    assert not _granted(str(course / "solutions/net.py"), rules, landlock.READ_FILE)


def test_a_listable_folder_already_readable_adds_no_rule(tmp_path):
    _tree(tmp_path, {"a": {"x": ""}, "b": {"y": ""}})
    rules = sandbox.read_rules([tmp_path / "b"], listable=[tmp_path / "a"], root=tmp_path)
    assert rules == [(f"{tmp_path}/a", DIR)]


def test_kernel_policy_protects_the_course_and_reopens_what_a_kernel_needs(tmp_path):
    policy = sandbox.kernel_policy(REPO, tmp_path, env={sandbox.KERNEL_HOME_VAR: "/kh"})
    assert {str(REPO), "/dev", str(REPO / "from_memory")} <= set(policy["protected"])
    for needed in (tmp_path, sys.prefix, REPO / "from_memory" / "kernel", "/kh", "/dev/urandom"):
        assert str(needed) in policy["exceptions"]
    assert policy["writable"][0] == str(tmp_path)
    assert policy["listable"] == [str(REPO / "from_memory")]


# -- what a confined process can do ------------------------------------------------------


@needs_landlock
def test_sandbox_refuses_writes_outside_the_given_folders(tmp_path):
    """In a child process: confinement cannot be undone, not even through a child of its own."""
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    code = """
import signal, subprocess
from pathlib import Path
inside, outside, victim = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
enforced = sandbox.confine([str(inside), "/dev/null"])
print("write", enforced.write, "signal", enforced.signal)
probe("inside", lambda: (inside / "ok.txt").write_text("fine"))
probe("outside", lambda: (outside / "no.txt").write_text("owned"))
subprocess.run(["sh", "-c", f"echo x > {outside}/shell.txt"], stderr=subprocess.DEVNULL)
probe("kill", lambda: os.kill(victim, signal.SIGTERM))
"""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        seen = run_child(code, inside, outside, victim.pid)
        signalled = victim.poll() is not None
    finally:
        victim.kill()
        victim.wait()
    assert seen["write"] == f"True signal {ABI >= 6}"
    assert (seen["inside"], seen["outside"]) == ("ok", "refused")
    assert (inside / "ok.txt").read_text() == "fine"
    assert list(outside.iterdir()) == []
    assert seen["kill"] == ("refused" if ABI >= 6 else "ok")
    assert signalled == (ABI < 6)


def _course(root: Path) -> dict[str, Path]:
    """A course on disk, with one student's kernel folder and a program among the solutions."""
    root.mkdir(parents=True)
    _tree(
        root,
        {
            "gradebook.db": "grades",
            "nbgrader_config.py": "c = get_config()",
            "source": {"ps1": {"ps1.ipynb": "hidden tests"}},
            "solutions": {"network.py": "oracle"},
            "submitted": {"bob": {"ps1": {"ps1.ipynb": "bob's work"}}},
            "autograded": {"ada": {"ps1": {"ps1.ipynb": "ada's work"}}, "bob": {"ps1": {}}},
        },
    )
    program = root / "solutions" / "echo"
    shutil.copy("/bin/echo", program)
    return {"course": root, "own": root / "autograded" / "ada" / "ps1", "program": program}


@needs_landlock
def test_a_confined_process_cannot_read_open_or_run_protected_paths(tmp_path):
    paths = _course(tmp_path / "course")
    code = """
import shutil, subprocess
from pathlib import Path
course, own, program = map(Path, sys.argv[1:4])
print("read", sandbox.confine([str(own)], protected=[str(course)], exceptions=[str(own)]).read)
probe("own-file", lambda: (own / "ps1.ipynb").read_text())
probe("own-listing", lambda: os.listdir(own))
probe("gradebook", lambda: (course / "gradebook.db").read_bytes())
probe("config", lambda: (course / "nbgrader_config.py").read_text())
probe("hidden-tests", lambda: (course / "source/ps1/ps1.ipynb").read_text())
probe("solution", lambda: (course / "solutions/network.py").read_text())
probe("other-student", lambda: (course / "submitted/bob/ps1/ps1.ipynb").read_text())
probe("course-listing", lambda: os.listdir(course))
probe("students-listing", lambda: os.listdir(course / "autograded"))
probe("run-protected", lambda: subprocess.run([str(program), "leaked"], check=True))
probe("hard-link", lambda: os.link(course / "solutions/network.py", own / "copy.py"))
os.symlink(course / "solutions/network.py", own / "link.py")
probe("through-symlink", lambda: (own / "link.py").read_text())
"""
    seen = run_child(code, paths["course"], paths["own"], paths["program"])
    assert seen.pop("read") == "True"
    assert seen.pop("own-file") == seen.pop("own-listing") == "ok"
    assert seen == dict.fromkeys(seen, "refused"), seen
    assert len(seen) == 10
    assert not (paths["own"] / "copy.py").exists()


@needs_landlock
def test_a_confined_cat_cannot_read_the_gradebook(tmp_path):
    paths = _course(tmp_path / "course")
    code = """
import subprocess
from pathlib import Path
course, own = map(Path, sys.argv[1:3])
sandbox.confine([str(own)], protected=[str(course)], exceptions=[str(own)])
done = subprocess.run(["cat", str(course / "gradebook.db")], capture_output=True, text=True)
print("cat", done.returncode, done.stdout or "-")
"""
    seen = run_child(code, paths["course"], paths["own"])
    assert seen["cat"] == "1 -"


def _kernel_env(tmp_path: Path) -> dict[str, str]:
    """A fresh machine's environment: HOME is an empty folder; plus the kernels' private home."""
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("MPLCONFIGDIR", None)
    env.pop("IPYTHONDIR", None)
    old = os.environ.copy()
    os.environ["HOME"] = str(home)
    try:
        env.update(launcher.kernel_home(tmp_path / "kernel-home"))
    finally:
        os.environ.clear()
        os.environ.update(old)
    return env


@needs_landlock
def test_the_kernel_policy_lets_a_kernel_import_its_libraries_but_not_the_oracle(tmp_path):
    """This repository as the course: its venv, the kit and the solutions live inside it."""
    env = _kernel_env(tmp_path)
    folder = tmp_path / "ps1"
    folder.mkdir()
    notebook = next(REPO.glob("source/*/*.ipynb"))
    student = REPO / "submitted" / "README.md"  # a file among the students' submissions
    disks = sorted(str(p) for p in Path("/dev").iterdir() if p.is_block_device())[:1]
    code = """
import importlib, pwd
from pathlib import Path
repo, folder, notebook, student = map(Path, sys.argv[1:5])
disks = sys.argv[5:]
policy = sandbox.kernel_policy(repo, folder)
print("enforced", sandbox.confine(**policy).line())
def plot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots()
    axes.plot([1, 2], [3, 4], label="error")
    axes.set_title("alpha")
    axes.legend()
    figure.savefig(folder / "plot.png")
for module in ("numpy", "IPython.core.interactiveshell", "ipykernel.kernelapp",
               "from_memory.kernel.compare", "solutions.network", "from_memory.judge.checks"):
    probe(module, lambda: importlib.import_module(module))
probe("matplotlib", plot)
probe("own-folder", lambda: (folder / "plot.png").read_bytes())
probe("engine-source", lambda: (repo / "from_memory/engine/grading.py").read_text())
probe("hidden-tests", lambda: notebook.read_text())
probe("submission", lambda: student.read_text())
probe("config", lambda: (repo / "nbgrader_config.py").read_text())
probe("submitted-listing", lambda: os.listdir(repo / "submitted"))
probe("grader-home", lambda: os.listdir(pwd.getpwuid(os.getuid()).pw_dir))
probe("kit-listing", lambda: os.listdir(repo / "from_memory"))
for disk in disks:
    probe("disk", lambda: open(disk, "rb").close())
"""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, REPO, folder, notebook, student, *disks],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert seen.pop("enforced").startswith(f"sandbox (Landlock ABI {ABI}): write, read")
    readable = ["numpy", "IPython.core.interactiveshell", "ipykernel.kernelapp"]
    readable += ["from_memory.kernel.compare", "matplotlib", "own-folder", "kit-listing"]
    assert {name: seen.pop(name) for name in readable} == dict.fromkeys(readable, "ok")
    assert seen == dict.fromkeys(seen, "refused"), seen
    assert {"solutions.network", "from_memory.judge.checks", "hidden-tests"} <= set(seen)
    assert "font" not in done.stderr.lower(), done.stderr  # the cache was there, nothing rebuilt


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@needs_landlock
def test_a_confined_process_cannot_connect_and_binds_only_its_ports(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    allowed = _free_port()
    code = """
import socket
server, allowed = int(sys.argv[2]), int(sys.argv[3])
print("net", sandbox.confine([sys.argv[1]], tcp_bind_ports=[allowed]).net)
probe("connect", lambda: socket.create_connection(("127.0.0.1", server), timeout=10).close())
probe("bind-own", lambda: socket.create_server(("127.0.0.1", allowed)).close())
probe("bind-other", lambda: socket.create_server(("127.0.0.1", 0)).close())
"""
    try:
        seen = run_child(code, tmp_path, server.getsockname()[1], allowed)
    finally:
        server.close()
    if ABI >= 4:
        assert seen == {
            "net": "True",
            "connect": "refused",
            "bind-own": "ok",
            "bind-other": "refused",
        }
    else:  # no network rules in this kernel: said, and nothing refused
        assert seen == {"net": "False", "connect": "ok", "bind-own": "ok", "bind-other": "ok"}


@needs_landlock
def test_a_confined_process_keeps_no_capability_even_after_exec(tmp_path):
    """Root's capabilities would let a kernel type on a terminal it inherited (TIOCSTI)."""
    leader, terminal = os.openpty()
    code = """
import fcntl, socket, subprocess, termios
print("privileges", sandbox.confine([sys.argv[1]]).privileges)
status = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True).stdout
print("after-exec", " ".join(l.split()[1] for l in status.splitlines() if l[:6] in ("CapEff", "CapPrm", "CapBnd")))
probe("raw-socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP).close())
probe("type-on-terminal", lambda: fcntl.ioctl(0, termios.TIOCSTI, b"x"))
"""
    try:
        done = subprocess.run(
            [sys.executable, "-c", PRELUDE + code, tmp_path],
            stdin=terminal,
            capture_output=True,
            text=True,
            start_new_session=True,  # as a kernel: the terminal is not its own
            timeout=60,
            check=False,
        )
    finally:
        os.close(leader)
        os.close(terminal)
    assert done.returncode == 0, done.stderr
    seen = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    permitted, effective, bounding = (int(cap, 16) for cap in seen.pop("after-exec").split())
    assert (permitted, effective) == (0, 0)
    assert bounding == 0 or os.getuid() != 0  # root would get its bounding set back at exec
    assert seen == {"privileges": "True", "raw-socket": "refused", "type-on-terminal": "refused"}


@needs_landlock
def test_confine_refuses_to_run_once_the_process_has_threads(tmp_path):
    code = """
import threading, time
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
try:
    sandbox.confine([sys.argv[1]])
except RuntimeError:
    print("confine refused")
probe("write-outside", lambda: open(os.path.join(sys.argv[2], "x"), "w").close())
"""
    outside = tmp_path / "outside"
    outside.mkdir()
    seen = run_child(code, tmp_path / "in", outside)
    assert seen == {"confine": "refused", "write-outside": "ok"}


def test_without_landlock_confine_changes_nothing_and_says_so(tmp_path):
    code = """
sandbox.abi_version = lambda: 0  # a kernel without Landlock
enforced = sandbox.confine([sys.argv[1]], protected=["/"], tcp_bind_ports=[])
print("enforced", enforced.line(), bool(enforced))
probe("write-outside", lambda: open(os.path.join(sys.argv[2], "x"), "w").close())
probe("read", lambda: open(sys.executable, "rb").close())
"""
    seen = run_child(code, tmp_path / "in", tmp_path)
    assert seen == {
        "enforced": "sandbox: nothing enforced (Landlock ABI 0) False",
        "write-outside": "ok",
        "read": "ok",
    }


# -- the launcher and a real kernel ------------------------------------------------------


@needs_landlock
def test_the_launcher_imports_nothing_from_the_students_folder(tmp_path):
    """It runs before the confinement: a submitted ``resource.py`` must not run there."""
    folder = tmp_path / "ps1"
    folder.mkdir()
    owned = tmp_path / "owned"
    for name in ("resource", "json", "argparse", "from_memory", "pwd", "tempfile"):
        (folder / f"{name}.py").write_text(f"open({str(owned)!r}, 'a').write('{name} ')\n")
    launch = Launch(str(folder), memory_mb=2048, sandbox=Sandbox(str(tmp_path), "strict"))
    cmd = launcher.command(launch, [sys.executable, "-c", "print('kernel ran')"])
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, owned.exists()) == (0, "kernel ran\n", False), done.stderr


def _confined_kernel_manager(course: Path, report: Path):
    from jupyter_client.manager import KernelManager

    class ConfinedKernelManager(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            return launcher.command(Launch(os.getcwd(), sandbox=Sandbox(str(course), "strict")), cmd,
                                    report=report)

    return ConfinedKernelManager(kernel_name="python3")


def _run_cells(km, cells, env, cwd, stderr) -> list[dict]:
    """Start ``km``'s kernel (its stderr to that file) and run ``cells``; each one's result."""
    km.start_kernel(cwd=str(cwd), env=env, stderr=stderr)
    client = km.client()
    client.start_channels()
    results = []
    try:
        client.wait_for_ready(timeout=120)
        for code in cells:
            outputs = []
            client.execute_interactive(
                code,
                timeout=120,
                output_hook=lambda msg, outputs=outputs: outputs.append(msg["content"]),
            )
            results.append(next(o for o in outputs if "data" in o or "ename" in o))
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    return results


@needs_landlock
def test_a_confined_ipykernel_runs_a_cell_and_cannot_read_the_solution(tmp_path):
    """jupyter_client starts ipykernel through the launcher, on a machine with an empty HOME."""
    env = _kernel_env(tmp_path)
    course = _course(tmp_path / "course")
    report = tmp_path / "enforced.json"
    km = _confined_kernel_manager(course["course"], report)
    cells = [
        "1 + 1",
        f"open({str(course['course'] / 'solutions' / 'network.py')!r}).read()",
        "open('ps1.ipynb').read()",
        "import solutions.network",
    ]
    with open(tmp_path / "kernel.err", "w") as stderr:
        total, solution, own, oracle = _run_cells(km, cells, env, course["own"], stderr)
    assert total["data"]["text/plain"] == "2"
    assert (solution["ename"], own["data"]["text/plain"]) == ("PermissionError", '"ada\'s work"')
    assert oracle["ename"] == "PermissionError"
    enforced = sandbox.Enforced(**json.loads(report.read_text()))
    assert enforced == sandbox.enforced_here()
    assert enforced.net == (ABI >= 4)  # and yet the kernel bound its five ports


@needs_landlock
def test_without_its_private_home_a_confined_kernel_dies_at_start(tmp_path):
    """The failure that kernel_home() prevents: IPython cannot make its profile."""
    home = tmp_path / "empty-home"
    home.mkdir()
    course = _course(tmp_path / "course")
    env = {**os.environ, "HOME": str(home)}
    for name in ("IPYTHONDIR", "MPLCONFIGDIR", sandbox.KERNEL_HOME_VAR):
        env.pop(name, None)
    km = _confined_kernel_manager(course["course"], tmp_path / "enforced.json")
    with open(tmp_path / "kernel.err", "w") as stderr, pytest.raises(RuntimeError, match="died"):
        _run_cells(km, ["1 + 1"], env, course["own"], stderr)
    died = (tmp_path / "kernel.err").read_text().splitlines()[-1]
    assert died == f"PermissionError: [Errno 13] Permission denied: '{home / '.ipython'}'"


def test_the_kernels_home_is_removed_when_the_process_that_made_it_exits(tmp_path):
    """Does a grading run leave no kernels' home behind in the temporary folder (and a fork none less)?"""
    code = """
import os, sys
from from_memory.engine.launch import Sandbox
from from_memory.engine.worker import Limits, kernel_env
from from_memory.engine.sandbox import KERNEL_HOME_VAR
home = kernel_env({}, Limits(sandbox=Sandbox(sys.argv[1], "standard", ())))[KERNEL_HOME_VAR]
print(home, flush=True)
child = os.fork()
if child == 0:
    sys.exit(0)  # a fork that exits as a Python process does: the home stays
os.waitpid(child, 0)
print(os.path.isdir(home), flush=True)
"""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True,
                          text=True, check=True)
    home, after_fork = done.stdout.split()
    assert Path(home).parent == tmp_path
    assert after_fork == "True"
    assert not Path(home).exists()


def test_a_home_whose_preparation_never_ends_is_one_clear_error_at_its_limit(tmp_path, monkeypatch):
    """A preparation stuck (a lock, a font scan) stops the batch at its limit, saying why, not forever."""
    monkeypatch.setattr(launcher, "_PREPARE", "import time\ntime.sleep(60)")
    monkeypatch.setattr(launcher, "PREPARE_TIMEOUT", 1)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"could not prepare the kernels' home .* in 1 s$"):
        launcher.kernel_home(tmp_path / "kernel-home")
    assert time.monotonic() - started < 30
