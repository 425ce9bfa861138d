"""A fake PayFiP SOAP service on 127.0.0.1, for the tests: it serves the WSDL and schemas
eopayment ships (with the service address rewritten to itself) and answers
`creerPaiementSecurise` and `recupererDetailPaiementSecurise` as PayFiP does, so the
gateway goes through real HTTP, zeep and eopayment. A test decides how each operation
ends (`fake.finish(idop, "P")`) or leaves it open (PayFiP's P5 fault)."""

import datetime
import threading
import time
import uuid
import xml.etree.ElementTree as ET
import zoneinfo
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import eopayment

RESOURCES = Path(eopayment.__file__).parent / "resource"
WSDL = "PaiementSecuriseService.wsdl"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@dataclass
class Operation:
    idop: str
    request: dict
    resultrans: str = ""  # empty: still open at PayFiP (P5)
    transaction_at: datetime.datetime | None = None
    forgotten: bool = False  # PayFiP's nightly clean-up (P1)


@dataclass
class FakePayfip:
    operations: dict[str, Operation] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    down: bool = False
    # How the service misbehaves, beside `down` (503): "slow" answers after `delay` seconds,
    # "html" with a web page, "xml" with XML that is no SOAP, "empty" with an operation
    # without its idOp. `service_url`: where the WSDL sends the calls (a closed port: refused).
    misbehave: str = ""
    delay: float = 3.0
    service_url: str = ""
    url: str = ""

    def finish(self, idop: str, resultrans: str, *, minutes_ago: int = 5):
        operation = self.operations[idop]
        operation.resultrans = resultrans
        operation.transaction_at = datetime.datetime.now(PARIS) - datetime.timedelta(
            minutes=minutes_ago
        )

    @property
    def wsdl_url(self) -> str:
        return f"{self.url}/{WSDL}"

    def only(self) -> Operation:
        (operation,) = self.operations.values()
        return operation


def envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_ENV}">'
        f"<S:Body>{body}</S:Body></S:Envelope>"
    ).encode()


def fault(code: str, text: str) -> bytes:
    return envelope(
        "<S:Fault><faultcode>S:Server</faultcode>"
        "<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
        f'</faultstring><detail><ns2:FonctionnelleErreur xmlns:ns2="{TNS}">'
        f"<code>{code}</code><descriptif>{escape(text)}</descriptif>"
        f"<libelle>{escape(text)}</libelle><severite>2</severite>"
        "</ns2:FonctionnelleErreur></detail></S:Fault>"
    )


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class Handler(BaseHTTPRequestHandler):
    fake: FakePayfip

    def log_message(self, *args):
        pass

    def send(self, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.lstrip("/").split("?")[0]
        path = RESOURCES / name
        if "/" in name or not path.is_file():
            return self.send(404, b"")
        text = path.read_text()
        if name == WSDL:
            text = text.replace(
                "https://www.payfip.gouv.fr/tpa/services/securite",
                f"{self.fake.service_url or self.fake.url}/securite",
            )
        return self.send(200, text.encode())

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.fake.down:
            return self.send(503, b"Service indisponible", "text/plain")
        if self.fake.misbehave == "slow":
            time.sleep(self.fake.delay)
        elif self.fake.misbehave == "html":
            return self.send(200, b"<html><body>Maintenance en cours</body></html>", "text/html")
        elif self.fake.misbehave == "xml":
            return self.send(200, b"<?xml version='1.0'?><maintenance>en cours</maintenance>")
        elif self.fake.misbehave == "empty":
            return self.send(
                200,
                envelope(
                    f'<ns2:creerPaiementSecuriseResponse xmlns:ns2="{TNS}"><return/></ns2:creerPaiementSecuriseResponse>'
                ),
            )
        body = ET.fromstring(raw).find(f"{{{SOAP_ENV}}}Body")
        call = body[0]
        fields = {local(e.tag): (e.text or "") for e in call.iter() if len(e) == 0}
        name = local(call.tag)
        self.fake.calls.append(name)
        if name == "creerPaiementSecurise":
            return self.send(200, self.create(fields))
        if name == "recupererDetailPaiementSecurise":
            status, answer = self.detail(fields.get("idOp", ""))
            return self.send(status, answer)
        return self.send(500, fault("T1", f"opération inconnue {name}"))

    def create(self, fields: dict) -> bytes:
        idop = str(uuid.uuid4())
        self.fake.operations[idop] = Operation(idop=idop, request=fields)
        return envelope(
            f'<ns2:creerPaiementSecuriseResponse xmlns:ns2="{TNS}"><return>'
            f"<idOp>{idop}</idOp></return></ns2:creerPaiementSecuriseResponse>"
        )

    def detail(self, idop: str) -> tuple[int, bytes]:
        operation = self.fake.operations.get(idop)
        if operation is None or operation.forgotten:
            return 500, fault("P1", "IdOp incorrect.")
        if not operation.resultrans:
            return 500, fault("P5", "Résultat de la transaction non connu.")
        request = operation.request
        at = operation.transaction_at
        values = {
            "dattrans": at.strftime("%d%m%Y"),
            "exer": request["exer"],
            "heurtrans": at.strftime("%H%M"),
            "idOp": idop,
            "mel": request["mel"],
            "montant": request["montant"],
            "numauto": "112233" if operation.resultrans in "PV" else "",
            "numcli": request["numcli"],
            "objet": request.get("objet", ""),
            "refdet": request["refdet"],
            "resultrans": operation.resultrans,
            "saisie": request["saisie"],
        }
        inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in values.items())
        return 200, envelope(
            f'<ns2:recupererDetailPaiementSecuriseResponse xmlns:ns2="{TNS}"><return>'
            f"{inner}</return></ns2:recupererDetailPaiementSecuriseResponse>"
        )


def fake_payfip_start() -> tuple[FakePayfip, ThreadingHTTPServer]:
    fake = FakePayfip()
    handler = type("FakePayfipHandler", (Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll: shutdown() waits for it, at the end of every test using the fake.
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return fake, server
