"""Command-line start-up benchmark: `slowtaper plan clonazepam 2mg --json`, the whole process, timed N times.

In the same run, interleaved so that a busy machine slows every command alike: a bare `python -c pass`
(the interpreter's own start-up), and a plain-Python peer that builds and prints the same plan with the same
engine behind `argparse` instead of Typer. Prints medians and the ratios; ratios are what to compare across
machines, not seconds. The goal: the command ≤ 0.15 s whole process on the reference machine.

Also prints which heavy libraries the command imported (none of numpy, Rich, matplotlib or Django should be).

Run: make bench   (or .venv/bin/python bench/cli.py --repeat 30)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARGS = ["plan", "clonazepam", "2mg", "--json"]

PEER = """
import argparse, datetime, json, sys
from decimal import Decimal
from slowtaper.taper import PlanRequest, build_plan, plan_to_dict
p = argparse.ArgumentParser()
p.add_argument("drug"); p.add_argument("dose"); p.add_argument("--json", action="store_true")
a = p.parse_args(sys.argv[1:])
mg = Decimal(a.dose.removesuffix("mg"))
req = PlanRequest(drug=a.drug, regimen=((datetime.time(8), mg),), start=datetime.date.today())
sys.stdout.write(json.dumps(plan_to_dict(build_plan(req)), indent=2) + "\\n")
"""

HEAVY = ("numpy", "rich", "matplotlib", "django", "weasyprint")

PROBE = """
import contextlib, io, sys
from slowtaper.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & __HEAVY__)))
"""


def run(cmd: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one whole process."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--before", metavar="SRC", help="also time the command from another checkout's src/ (e.g. a git worktree)"
    )
    args = parser.parse_args()

    python = sys.executable
    script = Path(python).with_name("slowtaper")
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "python -c pass": ([python, "-c", "pass"], None),
        "plain-Python peer (argparse + engine)": ([python, "-c", PEER, *ARGS[1:]], None),
    }
    if args.before:
        env = {**os.environ, "PYTHONPATH": str(Path(args.before).resolve())}
        commands["before: " + " ".join(ARGS)] = ([python, "-c", "from slowtaper.cli import main; main()", *ARGS], env)
    commands["slowtaper " + " ".join(ARGS)] = ([str(script), *ARGS], None)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for cmd, env in commands.values():  # warm-up: bytecode caches written, files in the page cache
        run(cmd, env)
    for _ in range(args.repeat):
        for name, (cmd, env) in commands.items():
            wall, cpu = run(cmd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall_median = {name: statistics.median(s) for name, s in walls.items()}
    cpu_median = {name: statistics.median(s) for name, s in cpus.items()}
    names = list(commands)
    base, peer, ours = names[0], names[1], names[-1]

    probe = subprocess.run(
        [python, "-c", PROBE.replace("__HEAVY__", repr(set(HEAVY))), *ARGS],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    same = json.loads(subprocess.run([str(script), *ARGS], check=True, capture_output=True, text=True).stdout)
    assert same["drug"] == "clonazepam"

    print(f"Whole process, median of {args.repeat} runs each, interleaved ({sys.version.split()[0]}):")
    print(f"  {'':46} {'wall ms':>8} {'cpu ms':>8} {'wall / peer':>12}")
    for name in names:
        w, c = wall_median[name], cpu_median[name]
        print(f"  {name:46} {w * 1000:8.1f} {c * 1000:8.1f} {w / wall_median[peer]:11.2f}x")
    w = wall_median
    print(f"  slowtaper / python -c pass: {w[ours] / w[base]:.1f}x wall; goal: whole process <= 150 ms")
    if args.before:
        before = names[2]
        cpu = cpu_median[ours] / cpu_median[before]
        print(f"  slowtaper now / before: {w[ours] / w[before]:.2f}x wall, {cpu:.2f}x cpu")
    print(f"  heavy libraries imported by `plan --json`: {probe or 'none'} (of {', '.join(HEAVY)})")


if __name__ == "__main__":
    main()
