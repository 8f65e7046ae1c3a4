"""The project's settings with one addition: a trivial view for the pages baseline (bench/urls.py).

Everything else (middleware, sessions, channel layer, database options) is config.settings as is,
so the project's daphne under these settings serves exactly the project's pages and sockets.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
