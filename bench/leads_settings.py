"""Settings of the leads benchmark's server: config.settings.production, plus one
switch bench/leads.py sets through the environment for its what-ifs (unset =
production as is, which pools connections since commit b120085):

- LEADS_BENCH_DB_POOL=N: psycopg's connection pool of exactly N connections;
- LEADS_BENCH_DB_POOL=0: no pool, CONN_MAX_AGE 600, as production was before: under
  ASGI each request runs its sync code in a thread of its own, so the per-thread
  persistent connections are never reused and every request opens a connection.
"""

import os

from config.settings.production import *  # noqa: F403
from config.settings.production import DATABASES

if os.environ.get("LEADS_BENCH_DB_POOL"):
    size = int(os.environ["LEADS_BENCH_DB_POOL"])
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if size:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options["pool"] = {"min_size": size, "max_size": size, "timeout": 10}
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = 600
        options.pop("pool", None)
