"""Files that misbehave, for the import tests."""

from django.core.files.base import ContentFile


class Unreadable(ContentFile):
    """A file whose size is known but whose content must not be read."""

    def read(self, *args):
        raise AssertionError("the file was read")


class FailingAfter(ContentFile):
    """A file whose reads fail after the first `reads` ones (a disk unplugged)."""

    def __init__(self, content: bytes, *, reads: int, name=None):
        super().__init__(content, name=name)
        self.reads_left = reads

    def read(self, *args):
        if self.reads_left <= 0:
            raise OSError("disk unplugged")
        self.reads_left -= 1
        return super().read(*args)
