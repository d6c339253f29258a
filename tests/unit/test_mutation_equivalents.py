"""The mutation score's exclusions (scripts/mutation.py) leave out only the mutants they name, never a real one."""

from __future__ import annotations

import pytest

from scripts.mutation import EQUIVALENT, MODULES, Outcome, score

pytestmark = pytest.mark.unit

CLAIM = "herald.notifier.idempotency.xǁAnswerStoreǁ_claim__mutmut_3"
PARSE = "herald.notifier.webhooks.schemes.standard_webhooks.x__parse__mutmut_4"


def reason_for(mutant: str, removed: str, added: str) -> str | None:
    return next((e.reason for e in EQUIVALENT if e.matches(mutant, removed, added)), None)


def test_a_change_of_letter_case_in_sql_is_equivalent() -> None:
    removed = 'await self._db.execute("BEGIN IMMEDIATE")'
    assert reason_for(CLAIM, removed, removed.replace("BEGIN IMMEDIATE", "begin immediate")) is not None


@pytest.mark.parametrize("added", [
    'await self._db.execute("XXBEGIN IMMEDIATEXX")',
    "await self._db.execute(None)",
    'await self._db.execute("BEGIN IMMEDIATE")',  # no change at all is not a mutant to excuse
])
def test_any_other_change_to_sql_counts(added: str) -> None:
    assert reason_for(CLAIM, 'await self._db.execute("BEGIN IMMEDIATE")', added) is None


def test_an_exclusion_holds_only_in_its_own_function() -> None:
    removed, added = 'version, sep, encoded = entry.partition(",")', 'version, sep, encoded = entry.rpartition(",")'
    assert reason_for(PARSE, removed, added) is not None
    assert reason_for(PARSE.replace("standard_webhooks", "stripe"), removed, added) is None
    assert reason_for(PARSE, removed, 'version, sep, encoded = entry.partition("XX,XX")') is None


@pytest.mark.parametrize("added", ["", "assert_never(None)"])
def test_a_change_to_an_unreachable_branch_of_routing_is_equivalent(added: str) -> None:
    removed = "case _: assert_never(target)" if not added else "assert_never(target)"
    assert reason_for("herald.chat.routing.x_decide_inbox__mutmut_4", removed, added) is not None
    assert reason_for("herald.contract.topology.x_user_routing_key__mutmut_4", removed, added) is None


def test_a_change_to_a_reachable_line_of_routing_counts() -> None:
    assert reason_for("herald.chat.routing.x_decide_inbox__mutmut_1", "return Decision.SHOW", "return None") is None


def test_every_exclusion_is_in_a_module_that_is_scored() -> None:
    patterns = [pattern for patterns in MODULES.values() for pattern in patterns]
    for equivalent in EQUIVALENT:
        module = equivalent.function.split(".x")[0]
        assert any(pattern.startswith(f"{module}.") for pattern in patterns), equivalent


def test_equivalents_leave_the_score_and_survivors_lower_it() -> None:
    found = [Outcome("a", "killed"), Outcome("b", "timeout"), Outcome("c", "survived", reason="equivalent"),
             Outcome("d", "survived"), Outcome("e", "no tests")]
    assert score(found) == pytest.approx(50.0)
