"""levee.wsgi with the trivial view added (`trivial_urls.py`): what `run.py` starts
gunicorn on. The production start-up checks run as in levee.wsgi."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "levee.settings")

from django.conf import settings  # noqa: E402

settings.ROOT_URLCONF = "trivial_urls"

from levee.wsgi import application  # noqa: E402, F401
