"""The results: figures paired with their ceilings, checked against their targets, as a table and as JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

TargetKind = Literal["ratio_at_least", "ratio_at_most", "at_most"]

# Every figure a complete results file holds, and whether it has a ceiling.
EXPECTED = {"1": True, "2": True, "3.p50": True, "3.p95": True, "3.p99": True, "4": False, "5": False, "6": True}


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    bound: float

    def text(self, unit: str) -> str:
        return {"ratio_at_least": f">= {self.bound:g}x", "ratio_at_most": f"<= {self.bound:g}x",
                "at_most": f"<= {self.bound:g} {unit}"}[self.kind]

    def met(self, value: float, ratio: float | None) -> bool | None:
        if self.kind == "at_most":
            return value <= self.bound
        if ratio is None:
            return None
        return ratio >= self.bound if self.kind == "ratio_at_least" else ratio <= self.bound


@dataclass(frozen=True)
class Ceiling:
    name: str
    value: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    value: float
    unit: str
    ceiling: Ceiling | None = None
    target: Target | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.value / self.ceiling.value if self.ceiling and self.ceiling.value else None

    def as_dict(self) -> dict[str, Any]:
        ceiling = self.ceiling
        return {
            "key": self.key, "title": self.title, "value": round(self.value, 3), "unit": self.unit,
            "ceiling": {"name": ceiling.name, "value": round(ceiling.value, 3), "details": ceiling.details}
            if ceiling else None,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": {"kind": self.target.kind, "bound": self.target.bound, "text": self.target.text(self.unit)}
            if self.target else None,
            "met": self.target.met(self.value, self.ratio) if self.target else None,
            "details": self.details,
        }


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"


def table(figures: list[dict[str, Any]]) -> str:
    """A Markdown table, for the terminal and for docs/benchmarks.md alike."""
    rows = ["| # | Figure | Herald | Ceiling (same run) | Ratio | Target | Met |", "|---|---|---|---|---|---|---|"]
    for figure in figures:
        ceiling = figure["ceiling"]
        ceiling_text = f"{ceiling['name']}: {_amount(ceiling['value'], figure['unit'])}" if ceiling else "—"
        ratio = f"{figure['ratio']:.2f}x" if figure["ratio"] is not None else "—"
        target = figure["target"]["text"] if figure["target"] else "—"
        met = {True: "yes", False: "**no**", None: "—"}[figure["met"]]
        rows.append(f"| {figure['key']} | {figure['title']} | {_amount(figure['value'], figure['unit'])} "
                    f"| {ceiling_text} | {ratio} | {target} | {met} |")
    return "\n".join(rows)


def problems(results: dict[str, Any]) -> list[str]:
    """What makes a results file incomplete or insane (targets aside): the smoke test asserts there is none."""
    found = []
    figures = {figure["key"]: figure for figure in results.get("figures", [])}
    for key, has_ceiling in EXPECTED.items():
        figure = figures.get(key)
        if figure is None:
            found.append(f"figure {key} is missing")
            continue
        if not figure["value"] > 0:
            found.append(f"figure {key} is {figure['value']}, not a positive number")
        if has_ceiling and not (figure["ceiling"] and figure["ceiling"]["value"] > 0):
            found.append(f"figure {key} has no positive ceiling")
        if failures := figure["details"].get("failures"):
            found.append(f"figure {key}: {failures}")
    return found
