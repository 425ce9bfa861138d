"""The embedded mode writes each email to its own file, the names in the order sent."""

from django.core import mail

from levee.lib.mail_files import EmailBackend


def test_each_email_gets_its_own_file_in_the_order_sent(tmp_path):
    backend = EmailBackend(file_path=str(tmp_path))
    messages = [
        mail.EmailMessage(f"Objet {n}", f"Corps {n}", "portail@example.org", [f"u{n}@example.org"])
        for n in range(4)
    ]

    assert backend.send_messages(messages) == 4
    backend.send_messages([mail.EmailMessage("Objet 4", "Corps 4", "p@example.org", ["x@e.org"])])

    files = sorted(tmp_path.iterdir())
    assert len(files) == 5
    subjects = [
        next(line for line in f.read_text().splitlines() if line.startswith("Subject:"))
        for f in files
    ]
    assert subjects == [f"Subject: Objet {n}" for n in range(5)]
