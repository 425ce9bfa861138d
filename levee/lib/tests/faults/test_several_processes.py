"""Several processes at once, as the documented deployment runs them: two gunicorn nodes and
two task workers (`manage.py db_worker`) sharing one PostgreSQL, cache, sessions and
throttling shared through Redis. An agent logs in on one node, uploads a lift file through
the other with the same session, and launches a billing run on the first while a worker
imports; meanwhile
PayFiP notifies 500 payments twice each (1,000 posts from threads, the two notifications of
a payment sent to different nodes), each confirmed by its status call to a fake PayFiP on
127.0.0.1. In the end: the run's invoices numbered without a gap nor a duplicate, every
subscription billed once, every lift of the file imported once, each payment applied once,
no 5xx, no traceback in any process's log."""

import os
import random
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from django_otp.oath import totp

from levee.payments.tests.fake_payfip import Operation, fake_payfip_start

from .cluster import ROOT, free_port, manage
from .test_postgres_restart import wait_for
from .test_worker_killed import LIFTS_2024
from .world import (
    AGENT_EMAIL,
    AGENT_PASSWORD,
    AGENT_TOTP_KEY,
    HOUSEHOLDS,
    PAYMENTS,
    lifts_csv,
    order_id,
)

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/11")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LIFTS = 135000  # lifts_csv(): 4,500 bins, 30 weeks


class Processes:
    """Processes started in groups of their own, their output in a log file each; all
    stopped at the end, whatever happened."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, command: list[str], env: dict) -> Path:
        log = self.directory / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return log

    def stop(self):
        for process, _ in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)

    def logs(self) -> dict[str, str]:
        return {log.name: log.read_text(errors="replace") for _, log in self.started}


def csrf_of(response) -> str:
    found = CSRF.search(response.text)
    assert found, response.text[:2000]
    return found.group(1)


def agent_logged_in(node: str) -> requests.Session:
    """The agent's login, password then TOTP code, on `node`."""
    session = requests.Session()
    form = session.get(f"{node}/backoffice/connexion/", timeout=30)
    sent = session.post(
        f"{node}/backoffice/connexion/",
        {"csrfmiddlewaretoken": csrf_of(form), "email": AGENT_EMAIL, "password": AGENT_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert sent.status_code == 302, sent.text[:2000]
    verify = f"{node}{sent.headers['Location']}"
    code = session.get(verify, timeout=30)
    sent = session.post(
        verify,
        {
            "csrfmiddlewaretoken": csrf_of(code),
            "code": f"{totp(bytes.fromhex(AGENT_TOTP_KEY)):06d}",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert sent.status_code == 302, sent.text[:2000]
    return session


def test_two_nodes_and_two_workers_bill_import_and_settle_each_payment_once(
    cluster, database, env, tmp_path
):
    name, _ = database
    built = manage(
        "shell",
        "-c",
        "from levee.lib.tests.faults.world import payfip_world_build; payfip_world_build()",
        env=env,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    lifts = tmp_path / "levees-2024.csv"
    lifts.write_text(lifts_csv(), encoding="utf-8")

    fake, server = fake_payfip_start()
    for i in range(PAYMENTS):
        idop = order_id(i)
        fake.operations[idop] = Operation(
            idop=idop,
            request={
                "exer": "2022",
                "mel": f"foyer{i}@example.org",
                "montant": "8794",
                "numcli": "012345",
                "objet": "",
                "refdet": f"2200590{i:06d}",
                "saisie": "T",
            },
        )
        fake.finish(idop, "P")
    shared = redis.Redis.from_url(REDIS_URL)
    shared.flushdb()
    production = {
        **env,
        "REDIS_URL": REDIS_URL,
        "PAYFIP_WSDL_URL": fake.wsdl_url,
        "PAYMENT_SANDBOX_ONLY": "false",
        "DB_CONN_MAX_AGE": "60",
        "STATIC_MANIFEST": "0",
    }
    processes = Processes(tmp_path)
    try:
        nodes = []
        for n in (1, 2):
            port = free_port()
            processes.start(
                f"web{n}",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "levee.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "120",
                    "--access-logfile",
                    str(tmp_path / f"access{n}.log"),
                    "--access-logformat",
                    "%(s)s %(m)s %(U)s",
                ],
                {**production, "PORT": str(port)},
            )
            nodes.append(f"http://127.0.0.1:{port}")
        for n in (1, 2):
            processes.start(
                f"worker{n}",
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--no-startup-delay",
                    "--interval",
                    "0.2",
                ],
                production,
            )
        for node in nodes:
            wait_for(
                lambda node=node: requests.get(f"{node}/backoffice/connexion/", timeout=5).ok,
                what=f"gunicorn at {node}",
            )

        # The back office: the agent logs in on the first node, uploads the lift file on the
        # second with the same session (read from the shared Redis), and launches the run on
        # the first while a worker imports.
        agent = agent_logged_in(nodes[0])
        form = agent.get(f"{nodes[1]}/backoffice/imports/", timeout=30)
        assert form.status_code == 200, form.text[:2000]
        with lifts.open("rb") as handle:
            uploaded = agent.post(
                f"{nodes[1]}/backoffice/imports/",
                {"csrfmiddlewaretoken": csrf_of(form), "kind": "lifts"},
                files={"file": ("levees-2024.csv", handle, "text/csv")},
                allow_redirects=False,
                timeout=60,
            )
        assert uploaded.status_code == 302, uploaded.text[:3000]
        form = agent.get(f"{nodes[0]}/backoffice/facturation/nouvelle/", timeout=30)
        launched = agent.post(
            f"{nodes[0]}/backoffice/facturation/nouvelle/",
            {
                "csrfmiddlewaretoken": csrf_of(form),
                "kind": "reelle",
                "year": "2023",
                "period": "annee",
                "issued_on": "2024-01-15",
                "confirm": "on",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert launched.status_code == 302, launched.text[:3000]

        # PayFiP's burst: each payment notified twice, to both nodes, in any order.
        posts = [(i, copy) for i in range(PAYMENTS) for copy in (0, 1)]
        random.Random(15).shuffle(posts)

        def notify(post):
            i, copy = post
            node = nodes[(i + copy) % 2]
            answer = requests.post(
                f"{node}/paiement/notification/", {"idOp": order_id(i)}, timeout=60
            )
            return answer.status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(notify, posts))
        assert answers == [200] * len(posts)

        wait_for(
            lambda: cluster.sql(
                name,
                "SELECT 1 FROM billing_billingrun r, collection_importbatch b"
                " WHERE r.status IN ('terminee', 'echec') AND b.status IN ('done', 'failed')",
            ),
            timeout=120,
            what="the billing run and the lift import",
        )
    finally:
        processes.stop()
        server.shutdown()
        server.server_close()
        shared.flushdb()
        shared.close()

    assert cluster.sql(name, "SELECT status FROM billing_billingrun") == [("terminee",)]
    assert cluster.sql(
        name,
        "SELECT count(*), count(DISTINCT number), count(DISTINCT subscription_id),"
        " max(right(number, 6)::int) - min(right(number, 6)::int)"
        " FROM billing_invoice WHERE run_id IS NOT NULL",
    ) == [(HOUSEHOLDS, HOUSEHOLDS, HOUSEHOLDS, HOUSEHOLDS - 1)]
    assert cluster.sql(
        name,
        "SELECT count(*) FROM subscribers_subscription s WHERE NOT EXISTS"
        " (SELECT 1 FROM billing_invoice i WHERE i.run_id IS NOT NULL"
        " AND i.subscription_id = s.id)",
    ) == [(0,)]

    assert cluster.sql(name, "SELECT status, rows_imported FROM collection_importbatch") == [
        ("done", LIFTS)
    ]
    assert cluster.sql(name, LIFTS_2024) == [(LIFTS,)]
    assert cluster.sql(
        name,
        "SELECT count(*) FROM (SELECT DISTINCT bin_id, lifted_at FROM collection_lift"
        " WHERE lifted_at >= '2024-01-01') lifts",
    ) == [(LIFTS,)]

    # Each payment applied once: paid, asked about once, its invoice settled, one receipt.
    assert cluster.sql(
        name, "SELECT status, checks, count(*) FROM payments_payment GROUP BY status, checks"
    ) == [("paye", 1, PAYMENTS)]
    assert cluster.sql(
        name, "SELECT status, count(*) FROM billing_invoice WHERE year = 2022 GROUP BY status"
    ) == [("reglee", PAYMENTS)]
    assert cluster.sql(
        name, "SELECT count(*), count(DISTINCT payment_id) FROM payments_paymentreceipt"
    ) == [(PAYMENTS, PAYMENTS)]
    assert PAYMENTS <= fake.calls.count("recupererDetailPaiementSecurise") <= 2 * PAYMENTS

    logs = processes.logs()
    for n in (1, 2):
        statuses = (tmp_path / f"access{n}.log").read_text().split("\n")
        assert not [line for line in statuses if line.startswith("5")], statuses
    for log, text in logs.items():
        assert "Traceback" not in text, f"{log}:\n{text[-5000:]}"
    # The two workers at once: the import held one of them while the other billed.
    ran = {
        log
        for log, text in logs.items()
        for task in ("billing_run_execute_task", "import_batch_run_task")
        if f"{task} state=SUCCESSFUL" in text
    }
    assert ran == {"worker1.log", "worker2.log"}
