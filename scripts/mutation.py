"""Mutation testing of Herald's pure core with mutmut: one bounded run per module, then a score per module.

    pip install -e '.[mutation]'
    python -m scripts.mutation [--children N] [--timeout SECONDS] [--keep] [MODULE ...]

mutmut's own settings (files, unit tests, per-test timeout) are `[tool.mutmut]` in pyproject.toml. A mutant
counts as killed when a test fails or times out on it. The score leaves out the mutants listed in
EQUIVALENT, each of which cannot change what the code does; tests/README.md shows the last scores.
Exits 1 when a module scores below MINIMUM_SCORE. Not part of the CI run: it takes minutes.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINIMUM_SCORE = 85.0
MUTMUT = [sys.executable, "-m", "mutmut"]
KILLED = {"killed", "timeout", "caught by type check"}

_TOPOLOGY_BUILDERS = ("user_routing_key", "group_routing_key", "session_routing_key", "thread_routing_key",
                      "event_routing_key", "inbox_queue_name", "session_queue_name", "replica_queue_name",
                      "session_queue_arguments")

# Which mutants make each module's score, as mutmut names them (`<module>.x_<function>__mutmut_<n>`, methods
# `<module>.xǁ<Class>ǁ<method>__mutmut_<n>`). The declare_* calls need a broker: they are in declarations.py.
MODULES: dict[str, tuple[str, ...]] = {
    "herald.chat.routing": ("herald.chat.routing.*",),
    "herald.contract.events": ("herald.contract.events.*",),
    "herald.contract.topology (key and name builders)": (
        *(f"herald.contract.topology.x_{name}__mutmut_*" for name in _TOPOLOGY_BUILDERS),
        "herald.contract.topology.xǁInboxArgumentsǁ*",
    ),
    "herald.notifier.idempotency": ("herald.notifier.idempotency.*",),
    "herald.notifier.publish_once": ("herald.notifier.publish_once.*",),
    "herald.notifier.routing": ("herald.notifier.routing.*",),
    "herald.notifier.webhooks.verification": ("herald.notifier.webhooks.verification.*",),
    **{
        f"herald.notifier.webhooks.schemes.{scheme}": (f"herald.notifier.webhooks.schemes.{scheme}.*",)
        for scheme in ("base", "generic_hmac", "github", "shared_token", "standard_webhooks", "stripe")
    },
}


@dataclass(frozen=True)
class Equivalent:
    """Mutants of `function` that change a line holding `removed` into one holding `added` (`None`: into the
    same line in other letter case; `""`: into anything, for a line that never runs) and cannot change
    behaviour, for `reason`."""

    function: str
    removed: str
    added: str | None
    reason: str

    def matches(self, mutant: str, removed: str, added: str) -> bool:
        if not fnmatch.fnmatch(mutant.rpartition("__mutmut_")[0], self.function) or self.removed not in removed:
            return False
        if self.added is None:
            return added != removed and added.lower() == removed.lower()
        return self.added in added


_SQL_CASE = "SQLite keywords and table and column names are case-insensitive"
_STORE = "herald.notifier.idempotency.xǁAnswerStoreǁ"

EQUIVALENT = (
    Equivalent(f"{_STORE}*", "BEGIN IMMEDIATE", None, _SQL_CASE),
    Equivalent(f"{_STORE}*", "ROLLBACK", None, _SQL_CASE),
    Equivalent(f"{_STORE}*", "COMMIT", None, _SQL_CASE),
    Equivalent(f"{_STORE}*", "AND (expires_at <= ? OR", None, _SQL_CASE),
    Equivalent(f"{_STORE}*", "INSERT INTO answers", None, _SQL_CASE),
    Equivalent(f"{_STORE}*", "DELETE FROM answers WHERE expires_at", None, _SQL_CASE),
    Equivalent("herald.notifier.webhooks.schemes.standard_webhooks.x__parse", 'entry.partition(",")',
               'entry.rpartition(",")', "a base64 signature holds no comma, so an entry's first comma is its last"),
    Equivalent("herald.chat.routing.x_*", "assert_never(target)", "",
               "an unreachable branch: each match covers every target kind, which mypy checks (assert_never)"),
    Equivalent("herald.notifier.webhooks.verification.x_verify_delivery", "datetime.now(UTC)",
               "datetime.now(None)", "a naive local now gives the same .timestamp() as an aware UTC one"),
)


@dataclass(frozen=True)
class Outcome:
    mutant: str
    status: str
    reason: str | None = None  # why it is equivalent, when it is

    @property
    def killed(self) -> bool:
        return self.status in KILLED


def run_module(patterns: Sequence[str], children: int, timeout: float) -> bool:
    """One mutmut run over `patterns`; False when it did not finish within `timeout` seconds."""
    process = subprocess.Popen([*MUTMUT, "run", "--max-children", str(children), *patterns], cwd=ROOT,
                               stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # mutmut forks a worker per mutant: end them all
        process.wait()
        return False
    return process.returncode == 0


def statuses() -> dict[str, str]:
    out = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        mutant, sep, status = line.strip().rpartition(": ")
        if sep:
            found[mutant] = status
    return found


def changed_lines(mutant: str) -> tuple[str, str]:
    """The lines `mutant` removes and adds, each joined and stripped, from `mutmut show`."""
    diff = subprocess.run([*MUTMUT, "show", mutant], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    removed = " ".join(line[1:].strip() for line in lines if line.startswith("-"))
    added = " ".join(line[1:].strip() for line in lines if line.startswith("+"))
    return removed, added


def outcomes(patterns: Sequence[str], found: dict[str, str]) -> list[Outcome]:
    result = []
    for mutant, status in sorted(found.items()):
        if not any(fnmatch.fnmatch(mutant, pattern) for pattern in patterns):
            continue
        reason = None
        if status not in KILLED:
            removed, added = changed_lines(mutant)
            reason = next((e.reason for e in EQUIVALENT if e.matches(mutant, removed, added)), None)
        result.append(Outcome(mutant, status, reason))
    return result


def score(module_outcomes: Sequence[Outcome]) -> float:
    counted = [o for o in module_outcomes if o.reason is None]
    return 100.0 * sum(o.killed for o in counted) / len(counted) if counted else 100.0


def report(by_module: dict[str, list[Outcome]], unfinished: Sequence[str]) -> str:
    rows = ["| module | mutants | killed | equivalent | survived | score |", "|---|---:|---:|---:|---:|---:|"]
    for module, found in by_module.items():
        equivalent = sum(o.reason is not None for o in found)
        killed = sum(o.killed for o in found)
        survived = len(found) - killed - equivalent
        note = " (run unfinished)" if module in unfinished else ""
        rows.append(f"| `{module}`{note} | {len(found)} | {killed} | {equivalent} | {survived} | "
                    f"{score(found):.1f} % |")
    lines = [*rows, "", "Equivalent mutants, left out of the score:", ""]
    lines += [f"- `{o.mutant}`: {o.reason}" for found in by_module.values() for o in found if o.reason]
    lines += ["", "Survivors (status other than killed or timeout):", ""]
    lines += [f"- `{o.mutant}`: {o.status}" for found in by_module.values() for o in found
              if not o.killed and o.reason is None]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"a subset of: {', '.join(MODULES)}")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per module's run (default 600)")
    parser.add_argument("--keep", action="store_true", help="reuse ./mutants from the last run")
    args = parser.parse_args(argv)
    chosen = {m: p for m, p in MODULES.items() if not args.modules or any(m.startswith(a) for a in args.modules)}
    if not args.keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    os.nice(10)  # the machine is shared: the tests of others come first
    unfinished = []
    for module, patterns in chosen.items():
        print(f"mutating {module} ...", flush=True)
        if not run_module(patterns, args.children, args.timeout):
            unfinished.append(module)
    found = statuses()
    by_module = {module: outcomes(patterns, found) for module, patterns in chosen.items()}
    print(report(by_module, unfinished))
    low = [m for m, o in by_module.items() if score(o) < MINIMUM_SCORE]
    return 1 if low or unfinished else 0


if __name__ == "__main__":
    sys.exit(main())
