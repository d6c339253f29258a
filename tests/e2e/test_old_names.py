"""The names before #19 still work from a checkout for one release (services/__init__.py), each printing one
deprecation line that names the new form, and never load Herald's modules a second time under the old name.
Real processes: the old commands start real services on a real broker."""

from __future__ import annotations

import subprocess
import sys
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.processes import ROOT, Service

pytestmark = pytest.mark.e2e

# One interpreter that imports old and new names: are they the very same modules, and was no file of
# Herald's executed twice (a module per file)?
SAME_MODULES = """\
import os, sys
from services.chat.delivery import attach
import services.notifier.idempotency as old_idempotency
import herald.chat.delivery, herald.notifier.idempotency
from herald.chat import attach as exported
assert attach is herald.chat.delivery.attach is exported
assert old_idempotency is herald.notifier.idempotency
assert sys.modules["services.chat"] is sys.modules["herald.chat"]
modules = {id(module): module for module in list(sys.modules.values())}.values()
files = [os.path.realpath(f) for m in modules if (f := getattr(m, "__file__", None) or "")
         and any(part in f for part in ("/herald/", "/services/", "/shared/"))]
assert len(files) == len(set(files)), sorted(f for f in files if files.count(f) > 1)
"""


def deprecations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("herald: ") and "deprecated" in line]


def test_old_module_names_are_heralds_modules_with_one_line_of_warning() -> None:
    done = subprocess.run([sys.executable, "-c", SAME_MODULES], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert deprecations(done.stderr) == [
        "herald: the module names `services.chat.*` are deprecated and go in the next release: "
        "import `herald.chat.*`"], done.stderr


def test_new_names_print_no_deprecation() -> None:
    done = subprocess.run([sys.executable, "-c", "from herald.chat.delivery import attach"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and deprecations(done.stderr) == [], done.stderr


def test_python_m_on_an_old_module_runs_it(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.toml"
    done = subprocess.run([sys.executable, "-m", "services.notifier.api_keys", "--name", "ci", "--append-to",
                           str(keys_file)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'name = "ci"' in keys_file.read_text() and "API key (shown once)" in done.stdout
    assert deprecations(done.stderr) == [
        "herald: `python -m services.notifier.api_keys` is deprecated and goes in the next release: "
        "use `python -m herald.notifier.api_keys`"], done.stderr


def _old_command(stack: ExitStack, name: str, module: str, env: dict[str, str], workdir: Path,
                 ready_path: str) -> Service:
    def start(port: int) -> AbstractContextManager[Service]:
        command = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
        # The old names resolve from the checkout's root only, as they did: it is on the path here.
        return processes.running(name, command, env | {"PYTHONPATH": str(ROOT)}, workdir, ready_path, port)

    return processes.on_a_free_port(stack, start)


def test_python_m_services_notifier_runs_the_notifier(amqp_url: str, keys: Keys, workdir: Path) -> None:
    env = {"HERALD_AMQP_URL": amqp_url, "HERALD_API_KEYS_FILE": str(keys.file),
           "HERALD_STATE_DB": str(workdir / "old-name-notifier.sqlite3")}
    with ExitStack() as stack:
        notifier = _old_command(stack, "old-name-notifier", "services.notifier", env, workdir, "/readyz")
        assert deprecations(notifier.output()) == [
            "herald: `python -m services.notifier` is deprecated and goes in the next release: "
            "use `python -m herald.notifier`"]


def test_python_m_services_chat_runs_the_chat(amqp_url: str, users_file: Path, workdir: Path) -> None:
    env = {"HERALD_AMQP_URL": amqp_url, "HERALD_USERS_FILE": str(users_file),
           "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET}
    home = workdir / "old-name-chat"
    home.mkdir()
    with ExitStack() as stack:
        chat = _old_command(stack, "old-name-chat", "services.chat", env, home, "/herald/readyz")
        assert deprecations(chat.output()) == [
            "herald: `python -m services.chat` is deprecated and goes in the next release: "
            "use `python -m herald.chat`"]


def test_chainlit_run_on_the_old_path_runs_the_demo(amqp_url: str, users_file: Path, workdir: Path) -> None:
    with processes.chat(amqp_url, users_file, workdir, name="old-path-chainlit-run", chainlit_run=True,
                        app=ROOT / "services" / "chat" / "app.py") as chat:
        assert deprecations(chat.output()) == [
            "herald: `chainlit run services/chat/app.py` is deprecated and goes in the next release: "
            "use `python -m herald.chat`"]


def test_the_chat_as_shipped_prints_no_deprecation(chat: Service) -> None:
    assert deprecations(chat.output()) == []
