"""A private nginx from Debian's package, in front of Herald as deploy/nginx/herald.conf.template has it.

Everything it writes (config, pid file, error log, temp files) is in a directory of its own under the
run's scratch directory (HERALD_SCRATCH_DIR, tests/support/leftovers.py), removed afterwards. It listens
on a free loopback port. Without nginx the fixture fails, never skips.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import string
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ROOT, Service, on_a_free_port, running

TEMPLATE = ROOT / "deploy" / "nginx" / "herald.conf.template"
INSTALL_HINT = "the proxy tests need nginx: apt-get install -y nginx (./herald test does)"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclass
class Proxy:
    url: str
    service: Service
    startup_seconds: float  # from the start of the process until it answered

    def served(self) -> list[tuple[int, str, str]]:
        """Status, request line and the upstream that answered, per request nginx finished (a websocket
        once it closed), in order: which replica served what."""
        served = []
        for line in (self.service.log.parent / "access.log").read_text().splitlines():
            status, request, upstreams = line.split('"')
            # After a refused connection nginx tries the next upstream: "A, B" names both.
            served.append((int(status), request, upstreams.strip().split(", ")[-1]))
        return served


def herald_conf(chat_servers: Sequence[str], notifier_server: str, listen: str) -> str:
    """The repository's template filled in, as the nginx image's envsubst fills it in compose."""
    text = string.Template(TEMPLATE.read_text()).safe_substitute(
        HERALD_PROXY_LISTEN=listen, HERALD_NOTIFIER_SERVER=notifier_server,
        HERALD_CHAT_SERVERS=" ".join(f"server {server};" for server in chat_servers))
    assert "${HERALD_" not in text, f"{TEMPLATE} has a placeholder this fixture does not fill"
    return text


def _main_conf(home: Path, site: Path) -> str:
    # As root the master switches its workers to the `user` directive's (nobody by default), who cannot
    # write the temp directories here (seen: a 1 MiB body to /notify/ was answered 500 by nginx). The
    # workers stay the test's own user instead; as anyone else nginx ignores the directive.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    temp = "\n".join(f"    {name}_temp_path {home / name};" for name in TEMP_PATHS)
    return f"""{user}
pid {home / 'nginx.pid'};
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    log_format herald '$status "$request" $upstream_addr';
    access_log {home / 'access.log'} herald;
{temp}
    include {site};
}}
"""


@contextmanager
def herald_proxy(chat_servers: Sequence[str], notifier_server: str, ready_path: str = "/notify/healthz",
                 timeout: float = 30) -> Iterator[Proxy]:
    """nginx with Herald's config in front of `chat_servers` and `notifier_server` ("host:port" each)."""
    # /usr/sbin is not on every user's PATH.
    executable = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    assert executable, INSTALL_HINT
    home = Path(tempfile.mkdtemp(prefix="herald-nginx-", dir=os.environ.get("HERALD_SCRATCH_DIR")))
    try:
        for name in TEMP_PATHS:
            (home / name).mkdir()

        startup: list[float] = []

        @contextmanager
        def start(port: int) -> Iterator[Service]:
            site = home / "herald.conf"
            site.write_text(herald_conf(chat_servers, notifier_server, f"127.0.0.1:{port}"))
            conf = home / "nginx.conf"
            conf.write_text(_main_conf(home, site))
            # -e stderr: the error log goes to the process's output (nginx.log here) from the start,
            # before the config is read; Debian's default would be under /var/log/nginx.
            command = [executable, "-p", str(home), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"]
            started = time.monotonic()
            with running("nginx", command, {}, home, ready_path, port, timeout) as service:
                startup.append(time.monotonic() - started)
                yield service

        with ExitStack() as stack:
            service = on_a_free_port(stack, start)
            yield Proxy(service.url, service, startup[-1])
    finally:
        shutil.rmtree(home, ignore_errors=True)
