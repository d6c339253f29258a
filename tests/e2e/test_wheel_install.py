"""Herald as a new user gets it: the wheel built from this checkout, installed into a fresh venv beside an
app that has its own `services` and `shared` packages, embedded in that app, and both services started
from the wheel alone (working directory outside the checkout, no PYTHONPATH to it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.processes import ROOT, Service

pytestmark = pytest.mark.e2e

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# What the build reads. src/herald links services/ and shared/ in, and services/chat/dot_chainlit links
# .chainlit/config.toml and .chainlit/translations: copied as links, so the build follows them as it
# does in the checkout.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "src", "services", "shared", ".chainlit/config.toml",
                ".chainlit/translations")

# The user's app, with packages named as Herald's were before #19.
DUMMY_APP = {
    "services/__init__.py": "",
    "services/greeting.py": 'GREETING = "hello from the app\'s own services package"\n',
    "shared/__init__.py": "",
    "shared/money.py": "CURRENCY = 'EUR'\n",
    "app.py": """\
import chainlit as cl

from herald.chat import attach
from services.greeting import GREETING  # the app's own, beside Herald

attach()


@cl.on_chat_start
async def start() -> None:
    await cl.Message(content=GREETING).send()
""",
}

# Run by the fresh venv's python in the app's directory: what imports from where.
PROBE = """\
import json, sys
from importlib import metadata
import herald, herald.contract.events, herald.notifier.app, services.greeting, shared.money
from herald.chat import attach
import herald.chat.delivery
meta = metadata.metadata("herald")
print(json.dumps({
    "herald": herald.__file__, "services": services.greeting.__file__, "shared": shared.money.__file__,
    "attach_is_delivery_attach": attach is herald.chat.delivery.attach, "version": herald.__version__,
    "sys_path": sys.path, "license": meta["License-Expression"], "requires_python": meta["Requires-Python"],
    "classifiers": meta.get_all("Classifier"),
}))
"""


@dataclass(frozen=True)
class Installed:
    python: Path  # the fresh venv's
    site_packages: Path
    app: Path  # the dummy app's directory, the working directory of everything below

    def run(self, *args: str) -> str:
        done = subprocess.run([str(self.python), *args], cwd=self.app, env=os.environ | self.env(), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def env(self) -> dict[str, str]:
        # PYTHONPATH is set, not inherited: a checkout on it would make every check below meaningless.
        return {"PYTHONPATH": str(self.app)}


def _copy_build_inputs(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in BUILD_INPUTS:
        source, copy = ROOT / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, copy)


def _check(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    home = tmp_path_factory.mktemp("wheel")
    # Built from a copy: pip builds a local project in place, and would leave build/ in the checkout.
    source, dist = home / "source", home / "dist"
    _copy_build_inputs(source)
    _check([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)])
    [wheel] = dist.glob("herald-*.whl")

    env_dir = home / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    # Herald's dependencies (and pip) from this test run's venv, without reinstalling them: a .pth line
    # that is a plain path only adds that directory to sys.path. Python does not process the .pth files
    # in it, so this checkout's editable install of herald (a .pth there naming src/) stays out; the
    # probe checks that herald comes from the fresh venv.
    (site_packages / "test-run-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _check([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)])

    app = home / "app"
    for name, text in DUMMY_APP.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    return Installed(python, site_packages, app)


def test_the_apps_packages_and_heralds_both_import(installed: Installed) -> None:
    found = json.loads(installed.run("-c", PROBE))
    assert Path(found["herald"]).is_relative_to(installed.site_packages), found["herald"]
    # The checkout's root (its services/, shared/) and src/ (the editable herald) are not on the path.
    assert not {ROOT, ROOT / "src"} & {Path(entry).resolve() for entry in found["sys_path"] if entry}
    assert Path(found["services"]) == installed.app / "services" / "greeting.py"
    assert Path(found["shared"]) == installed.app / "shared" / "money.py"
    assert found["attach_is_delivery_attach"]
    assert found["version"] == VERSION
    assert found["license"] == "Apache-2.0" and found["requires_python"] == ">=3.11"
    assert {"Typing :: Typed", "Framework :: FastAPI", "Framework :: AsyncIO"} <= set(found["classifiers"])


def test_the_wheel_installs_herald_alone(installed: Installed) -> None:
    shown = installed.run("-m", "pip", "show", "--files", "herald")
    files = [line.strip() for line in shown.split("Files:", 1)[1].splitlines() if line.strip()]
    top_level = {Path(file).parts[0] for file in files}
    assert top_level == {"herald", f"herald-{VERSION}.dist-info"}, top_level
    assert "herald/py.typed" in files
    assert "herald/chat/dot_chainlit/config.toml" in files
    assert "herald/chat/dot_chainlit/translations/en-US.json" in files  # Herald's, without the LLM footer
    assert installed.run("-m", "herald", "--version").strip() == f"herald {VERSION}"


def _serve(stack: ExitStack, installed: Installed, name: str, module_args: list[str], env: dict[str, str],
           workdir: Path, ready_path: str) -> Service:
    def start(port: int) -> AbstractContextManager[Service]:
        command = [str(installed.python), "-m", *module_args, "--host", "127.0.0.1", "--port", str(port)]
        return processes.running(name, command, installed.env() | env, workdir, ready_path, port)

    return processes.on_a_free_port(stack, start)


@pytest.fixture
def served() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def test_the_notifier_serves_from_the_wheel(installed: Installed, served: ExitStack, amqp_url: str,
                                            keys: Keys) -> None:
    env = {"HERALD_AMQP_URL": amqp_url, "HERALD_API_KEYS_FILE": str(keys.file),
           "HERALD_STATE_DB": str(installed.app / "notifier.sqlite3")}
    notifier = _serve(served, installed, "wheel-notifier", ["herald.notifier"], env, installed.app, "/readyz")
    health = httpx.get(f"{notifier.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["broker"]["link"] == "up", health.text
    openapi = httpx.get(f"{notifier.url}/openapi.json", timeout=10)
    assert openapi.status_code == 200 and "/v1/events" in openapi.json()["paths"]


def test_herald_attaches_to_the_apps_own_chainlit_app(installed: Installed, served: ExitStack,
                                                      amqp_url: str) -> None:
    env = {"HERALD_AMQP_URL": amqp_url, "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET}
    # Ready once Herald's delivery is live: its broker link up and its queues declared.
    chat = _serve(served, installed, "wheel-app", ["herald.chat", "app.py"], env, installed.app, "/herald/readyz")
    health = httpx.get(f"{chat.url}/herald/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["delivery"] == "live", health.text
    # The app keeps its own Chainlit settings: Herald writes its demo's only for the demo.
    assert 'name = "Herald"' not in (installed.app / ".chainlit" / "config.toml").read_text()


def test_the_demo_chat_serves_from_the_wheel_with_heralds_chainlit_settings(
        installed: Installed, served: ExitStack, amqp_url: str, users_file: Path,
        tmp_path: Path) -> None:
    env = {"HERALD_AMQP_URL": amqp_url, "HERALD_USERS_FILE": str(users_file),
           "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET}
    demo_dir = tmp_path / "demo"  # no .chainlit/ here: the wheel brings Herald's
    demo_dir.mkdir()
    chat = _serve(served, installed, "wheel-demo", ["herald.chat"], env, demo_dir, "/herald/readyz")
    for shipped in ("config.toml", "translations/en-US.json", "translations/de-DE.json"):
        assert (demo_dir / ".chainlit" / shipped).read_text() == (ROOT / ".chainlit" / shipped).read_text(), shipped
    page = httpx.get(chat.url, timeout=10)
    assert page.status_code == 200 and "<title>Herald</title>" in page.text
    assert httpx.get(f"{chat.url}/auth/config", timeout=10).json()["passwordAuth"] is True

