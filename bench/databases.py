"""The benchmarks' and the load test's own PostgreSQL databases, created when
missing so that one command works on a fresh machine."""

from urllib.parse import urlsplit, urlunsplit


def database_create_missing(url: str):
    """Create the database URL names unless it exists (PostgreSQL URLs only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return
    import psycopg2
    from psycopg2 import sql

    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
