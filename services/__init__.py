"""The names Herald had before it installed as `herald` (#19), kept for one release in a checkout.

`services.chat` is `herald.chat` and `services.notifier` is `herald.notifier`, submodules included:
`from services.chat.delivery import attach` gives the very function `herald.chat.delivery.attach` is,
and `python -m services.chat` runs the chat. The first use of an old name in a process prints one line
to stderr naming the new form. This package is not in the wheel (nothing named `services` is installed):
the old names only ever worked from a checkout, with its root on sys.path.

Why a hand-written import hook, not `sys.modules` aliases or a re-exporting module per name: Python
would otherwise find services/chat/*.py on disk and load each file a second time as a module of its own
(`services.chat.delivery` beside `herald.chat.delivery`), and module state would split in two: two
running deliveries, two sets of registered Chainlit hooks. The finder below answers for every old name
before the path finder can, and its loader puts the `herald.*` module itself into sys.modules under the
old name (the import system reads sys.modules again after `exec_module`, and returns what it finds).
A plain stderr line rather than a FutureWarning: a warning raised from inside the import system names
a frame of importlib's, not the user's line, and prints that frame's source line after it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType

RENAMED = {"services.chat": "herald.chat", "services.notifier": "herald.notifier"}
_told = False


def new_name(old: str) -> str | None:
    """`herald.*` for an old `services.chat[.X]` or `services.notifier[.X]` name, else None."""
    for prefix, new in RENAMED.items():
        if old == prefix or old.startswith(prefix + "."):
            return new + old[len(prefix):]
    return None


def _tell(old: str, new: str) -> None:
    global _told
    if _told:
        return
    _told = True
    command = _old_command()
    if command:
        print(f"herald: `python -m {command}` is deprecated and goes in the next release: "
              f"use `python -m {new_name(command)}`", file=sys.stderr)
    else:
        print(f"herald: the module names `{old}.*` are deprecated and go in the next release: "
              f"import `{new}.*`", file=sys.stderr)


def _old_command() -> str | None:
    """X of `python -m X` with X an old name, while runpy is still locating X.

    runpy imports X's parents (and X, if a package) before it runs anything; meanwhile sys.argv[0]
    is "-m" (documented for -m), and sys.orig_argv names X.
    """
    if sys.argv[:1] != ["-m"] or "-m" not in sys.orig_argv[:-1]:
        return None
    target = sys.orig_argv[sys.orig_argv.index("-m") + 1]
    return target if new_name(target) else None


class _HeraldAlias(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # a throwaway module: exec_module swaps the real one in

    def exec_module(self, module: ModuleType) -> None:
        _tell(module.__name__, self.new)
        sys.modules[module.__name__] = importlib.import_module(self.new)

    def get_code(self, fullname: str) -> CodeType | None:
        """For runpy: `python -m services.chat.users` runs herald.chat.users' code as __main__, as
        `python -m herald.chat.users` does (a package's __main__ passes through the finder instead)."""
        _tell(fullname, self.new)
        spec = importlib.util.find_spec(self.new)
        loader = spec.loader if spec else None
        return loader.get_code(self.new) if isinstance(loader, importlib.abc.InspectLoader) else None


class _OldNames(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None,
                  ) -> importlib.machinery.ModuleSpec | None:
        new = new_name(fullname)
        # `__main__` submodules pass through: the path finder then finds services/chat/__main__.py in
        # herald.chat's __path__, and runpy runs it as the script it is.
        if new is None or fullname.endswith(".__main__"):
            return None
        found = importlib.util.find_spec(new)
        if found is None:
            return None
        # A package's search locations tell runpy (`python -m`) to look for its __main__; the origin
        # becomes sys.argv[0] when runpy runs a module.
        return importlib.machinery.ModuleSpec(fullname, _HeraldAlias(new), origin=found.origin,
                                              is_package=found.submodule_search_locations is not None)


if not any(isinstance(finder, _OldNames) for finder in sys.meta_path):
    sys.meta_path.insert(0, _OldNames())
