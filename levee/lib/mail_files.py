"""The embedded mode's email backend: every email in its own file under `EMAIL_FILE_PATH`,
named so that the names sort in the order the emails were sent (« the newest file of
var/mail/ » is the last email, whether one looks with `ls` or by date).

Django's file backend writes every email of one connection into a single file named by the
second and the connection's id: a batch of invoice emails landed two to four in a file, and
two emails of the same second could sort in the wrong order."""

import itertools
import os
import threading

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
from django.utils import timezone

_counter = itertools.count(1)
_counter_lock = threading.Lock()


class EmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages or []:
            self._fname = None  # a new file for each email
            sent += super().send_messages([message])
        return sent

    def _get_filename(self):
        if self._fname is None:
            with _counter_lock:
                number = next(_counter)
            moment = timezone.localtime()
            name = f"{moment:%Y%m%d-%H%M%S-%f}-{os.getpid()}-{number:06d}.eml"
            self._fname = os.path.join(self.file_path, name)
        return self._fname
