"""The whole demo world: the directory's organisations and accounts first, then each domain's
stories on top of them. ``dure load-demo`` and the test session both load it through here."""

from __future__ import annotations

from importlib import import_module

# Order matters: later apps build on the organisations and people of earlier ones.
DEMO_LOADERS = (
    "dure.directory.demo",
    "dure.techbank.demo",
    "dure.desk.demo",
    "dure.governance.demo",
    "dure.market.demo",
    "dure.programs.demo",
    "dure.founding.demo",
    "dure.portal.demo",
    "dure.insights.demo",
)


def load_all_demo() -> dict[str, int]:
    counts: dict[str, int] = {}
    for module in DEMO_LOADERS:
        counts.update(import_module(module).load_demo())
    return counts
