"""The territory's invoice day (issue 15, item 2), for Locust, against the dataset of
`build.py` served by gunicorn (`run.py` starts both and reads the figures).

Residents (all users but the 20 agents and 10 references): log in with the dataset's password, open « Mon espace », « Mes
bacs/levées », « Mes factures », a duplicata (PDF), « Suivi de mes demandes », send a
« Nous contacter » request and pay their unpaid invoice through the sandbox (by debit,
its quickest path), waiting 5 to 15 s between pages, as people do. Agents (20):
log in with their password and the TOTP code computed from their secret, then work the
request queue (the list, a request) and the accounts search. Ten more users (`Reference`)
log in as residents and request only the trivial view on the same stack and session
(`trivial_urls.py`): the reference of every ratio, measured under the same load.

Each resident takes the next account of the pool (`LOAD_FIRST` onwards, alternating the
two authorities), so that no two users, nor two runs given different LOAD_FIRST, share
one: a second request or payment of the same account would be refused.
"""

import itertools
import os
import re
import sys
import threading
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cast  # noqa: E402

SLUGS = [slug for slug, *_ in cast.AUTHORITIES]
FIRST = int(os.environ.get("LOAD_FIRST", "1"))
# Seconds between a user's pages: 5 to 15 as people; a smoke run may shorten them.
WAIT = between(
    float(os.environ.get("LOAD_WAIT_MIN", "5")), float(os.environ.get("LOAD_WAIT_MAX", "15"))
)
_residents = itertools.count(0)
_agents = itertools.count(0)
_lock = threading.Lock()
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_of(response) -> str:
    found = CSRF.search(response.text)
    if found is None:
        response.failure("no CSRF token on the page")
        return ""
    return found.group(1)


def expect(response, status=200, contains=None):
    """A page counts as failed unless it has the status and, if given, the text."""
    if response.status_code != status:
        response.failure(f"status {response.status_code}, {status} expected")
    elif contains and contains not in response.text:
        response.failure(f"« {contains} » missing")
    else:
        response.success()


class Resident(HttpUser):
    wait_time = WAIT

    def on_start(self):
        with _lock:
            i = next(_residents)
        self.letter = cast.LETTERS[i % 2]
        self.slug = SLUGS[i % 2]
        self.n = FIRST + i // 2
        self.step = 0
        self.invoice = None
        self.login()

    def login(self):
        page = self.client.get(f"/{self.slug}/connexion/", name="login (form)")
        with self.client.post(
            f"/{self.slug}/connexion/",
            {
                "csrfmiddlewaretoken": csrf_of(page),
                "email": cast.resident_email(self.letter, self.n),
                "password": cast.PASSWORD,
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)

    def get(self, path, name, contains=None):
        with self.client.get(
            f"/{self.slug}/espace/{path}", name=name, catch_response=True
        ) as response:
            expect(response, 200, contains)
            return response

    @task
    def visit(self):
        """One page per task, in the order a resident follows on invoice day; then again
        from the home (without a second request or payment)."""
        step, self.step = self.step, self.step + 1
        first_round = step < 8
        match step % 8:
            case 0:
                self.get("", "home", "Mon espace")
            case 1:
                self.get("mes-bacs-levees/", "production", "levées")
            case 2:
                page = self.get("mes-factures/", "invoices", "Mes factures")
                found = re.search(r"/mes-factures/(\d+)/duplicata\.pdf", page.text)
                self.invoice = found.group(1) if found else None
                payable = re.search(r"/mes-factures/(\d+)/regler/", page.text)
                self.payable = payable.group(1) if payable else None
                self.csrf = CSRF.search(page.text).group(1) if CSRF.search(page.text) else ""
            case 3:
                if self.invoice:
                    with self.client.get(
                        f"/{self.slug}/espace/mes-factures/{self.invoice}/duplicata.pdf",
                        name="duplicata",
                        catch_response=True,
                    ) as response:
                        expect(response, 200)
                        if not response.content.startswith(b"%PDF"):
                            response.failure("not a PDF")
            case 4:
                self.get("suivi-de-mes-demandes/", "tracking", "Suivi de mes demandes")
            case 5 if first_round:
                self.request_send()
            case 6 if first_round:
                self.pay()
            case 7:
                self.get("", "home", "Mon espace")

    def request_send(self):
        path = f"/{self.slug}/espace/mes-services/nous-contacter/"
        form = self.client.get(path, name="request (form)")
        with self.client.post(
            path,
            {
                "csrfmiddlewaretoken": csrf_of(form),
                "subject": "Essai de charge",
                "message": "Bonjour, ma facture est-elle bien celle de cette année ? Merci.",
            },
            name="request (sent)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)

    def pay(self):
        """« Régler », the sandbox's first screen, « Payer par prélèvement », the return
        page and the result, each a request of its own."""
        if not self.payable:
            return
        with self.client.post(
            f"/{self.slug}/espace/mes-factures/{self.payable}/regler/",
            {"csrfmiddlewaretoken": self.csrf},
            name="pay (Régler)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)
            target = response.headers.get("Location", "")
        idop = re.search(r"/paiement-test/([^/]+)/", target)
        if idop is None:
            return
        screen = self.client.get(f"/paiement-test/{idop.group(1)}/", name="pay (sandbox)")
        with self.client.post(
            f"/paiement-test/{idop.group(1)}/prelevement/",
            {"csrfmiddlewaretoken": csrf_of(screen)},
            name="pay (sandbox, paid)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)
            back = response.headers.get("Location", "")
        back = re.sub(r"^https?://[^/]+", "", back)
        with self.client.get(back, name="pay (return)", catch_response=True) as response:
            expect(response, 200, "est accepté")


class Agent(HttpUser):
    fixed_count = int(os.environ.get("LOAD_AGENTS", "20"))  # of -u; the others are residents
    wait_time = WAIT

    def on_start(self):
        with _lock:
            i = next(_agents)
        self.letter = cast.LETTERS[i % 2]
        n = 1 + (i // 2) % cast.AGENTS_PER_AUTHORITY
        page = self.client.get("/backoffice/connexion/", name="bo login (form)")
        with self.client.post(
            "/backoffice/connexion/",
            {
                "csrfmiddlewaretoken": csrf_of(page),
                "email": cast.agent_email(self.letter, n),
                "password": cast.PASSWORD,
            },
            name="bo login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)
            verify = response.headers.get("Location", "")
        code_page = self.client.get(verify, name="bo code (form)")
        with self.client.post(
            verify,
            {
                "csrfmiddlewaretoken": csrf_of(code_page),
                "code": cast.totp(cast.agent_totp_key(self.letter, n)),
            },
            name="bo code",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            expect(response, 302)
        self.step = 0

    @task
    def work(self):
        step, self.step = self.step, self.step + 1
        match step % 3:
            case 0:
                with self.client.get(
                    "/backoffice/demandes/", name="bo queue", catch_response=True
                ) as response:
                    expect(response, 200)
                    found = re.findall(r"/backoffice/demandes/(\d+)/", response.text)
                    self.request = found[step // 3 % len(found)] if found else None
            case 1:
                if self.request:
                    with self.client.get(
                        f"/backoffice/demandes/{self.request}/",
                        name="bo request",
                        catch_response=True,
                    ) as response:
                        expect(response, 200)
            case 2:
                name = ("MARTIN", "DUBOIS", "LEROY", "DEVOS", "000123")[step // 3 % 5]
                with self.client.get(
                    "/backoffice/comptes/",
                    params={"q": name},
                    name="bo accounts search",
                    catch_response=True,
                ) as response:
                    expect(response, 200)


class Reference(HttpUser):
    """The reference: logged in as a resident (the next pool account), it requests only
    the trivial view, every 5 to 15 s for the whole run, beside the others' pages."""

    fixed_count = int(os.environ.get("LOAD_REFERENCE", "10"))  # of -u, as the agents
    wait_time = WAIT
    on_start = Resident.on_start
    login = Resident.login

    @task
    def visit(self):
        with self.client.get("/bench-trivial/", name="trivial", catch_response=True) as response:
            expect(response, 200, "ok")
