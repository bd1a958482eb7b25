"""The PostgreSQL server the benchmarks make their throwaway databases on.

BENCH_DATABASE_URL names it (default postgres://postgres@127.0.0.1:5432/postgres).
"""

import os
from urllib.parse import urlsplit, urlunsplit


def db_url(name: str) -> str:
    """The URL of database `name` on the bench server."""
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


def admin_sql(sql: str) -> None:
    """Run one statement (CREATE / DROP DATABASE) on the server's `postgres` database."""
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)
