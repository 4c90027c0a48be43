"""Backup and restore of an install: the database and the uploaded files
(MEDIA_ROOT: photos, attachments, reply letters, duty reports), with a
manifest that lets a restore prove it found every row and file again.

A backup is one directory, `lvzhi-backup-<UTC time>`, made under a temporary
name and renamed when whole (a backup killed midway leaves a `.tmp-…`
directory, never one that looks finished):

    database.dump      pg_dump, custom format, --no-owner --no-privileges
                       (on SQLite, the embedded default: database.sqlite3,
                       a copy made with SQLite's online backup API)
    media.tar          MEDIA_ROOT, paths relative to it
    manifest.json      time, the database's rows per table, every file with
                       its size and sha256, and the sha256 of the two above

On PostgreSQL the row counts and the dump read the same snapshot (one
REPEATABLE READ transaction exports it, pg_dump --snapshot uses it), so they
agree even while the site is in use. Uploaded files written during the backup
may or may not be in it. Export files (EXPORT_FILES_ROOT) are left out: they
expire after EXPORT_FILE_TTL_HOURS and anyone can make them again.
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import connection, transaction

MANIFEST = "manifest.json"
DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA_TAR = "media.tar"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Backing up --------------------------------------------------------------------------


def backup_write(*, target: Path, media_root: Path | None = None) -> Path:
    """Write a backup of the default database and MEDIA_ROOT into a new
    directory under `target`; returns it."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    target.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    final = target / f"lvzhi-backup-{now:%Y%m%d-%H%M%S}"
    if final.exists():
        raise BackupError(f"{final} exists already")
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=target))
    try:
        if connection.vendor == "postgresql":
            tables, database_file = _postgres_dump(work / DUMP), DUMP
        elif connection.vendor == "sqlite":
            tables, database_file = _sqlite_copy(work / SQLITE_COPY), SQLITE_COPY
        else:
            raise BackupError(f"no backup for a {connection.vendor} database")
        files = _media_tar(media_root, work / MEDIA_TAR)
        manifest = {
            "format": 1,
            "created_at": now.isoformat(),
            "database": {
                "vendor": connection.vendor,
                "name": str(connection.settings_dict["NAME"]),
                "file": database_file,
                "sha256": sha256_of(work / database_file),
                "tables": tables,
            },
            "media": {
                "root": str(media_root),
                "file": MEDIA_TAR,
                "sha256": sha256_of(work / MEDIA_TAR),
                "files": files,
            },
            "left_out": {
                "export files": "EXPORT_FILES_ROOT: they expire within "
                f"{settings.EXPORT_FILE_TTL_HOURS} hours and can be exported again"
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        for path in work.iterdir():
            _fsync(path)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _row_counts(cursor, tables) -> dict[str, int]:
    counts = {}
    quote = connection.ops.quote_name
    for table in sorted(tables):
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _pg_env(db: dict) -> dict:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict) -> list[str]:
    args = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return args


def _postgres_dump(path: Path) -> dict[str, int]:
    db = connection.settings_dict
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _row_counts(cursor, connection.introspection.table_names(cursor))
        done = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={path}",
                *_pg_args(db),
                str(db["NAME"]),
            ],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return counts


def _sqlite_copy(path: Path) -> dict[str, int]:
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    copy = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: copy.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}
    finally:
        copy.close()


def _media_tar(root: Path, path: Path) -> list[dict]:
    files = []
    with tarfile.open(path, "w") as tar:
        if root.exists():
            for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                name = file.relative_to(root).as_posix()
                files.append({"path": name, "size": file.stat().st_size, "sha256": sha256_of(file)})
                tar.add(file, arcname=name, recursive=False)
    return files


# Restoring ---------------------------------------------------------------------------


@dataclass
class Restored:
    tables: int
    rows: int
    files: int


def manifest_read(backup: Path) -> dict:
    try:
        manifest = json.loads((backup / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{backup} has no {MANIFEST}: not a whole backup") from None
    for part in (manifest["database"], manifest["media"]):
        if sha256_of(backup / part["file"]) != part["sha256"]:
            raise BackupError(f"{part['file']} does not match its checksum in the manifest")
    return manifest


def backup_restore(
    *, backup: Path, database_url: str, media_root: Path, force: bool = False
) -> Restored:
    """Restore the backup into the database at `database_url` (which must
    exist) and into `media_root`, then check every table's row count and
    every file's checksum against the manifest. Refuses a database with
    tables in it, or a media root with files in it, unless `force` (then
    the dump's objects replace theirs; files of the same name are overwritten)."""
    manifest = manifest_read(backup)
    vendor = manifest["database"]["vendor"]
    if vendor == "postgresql":
        _postgres_restore(backup / DUMP, database_url, force=force)
    elif vendor == "sqlite":
        _sqlite_restore(backup / SQLITE_COPY, database_url, force=force)
    else:
        raise BackupError(f"no restore for a {vendor} database")
    _media_restore(backup / MEDIA_TAR, media_root, force=force)
    counts = _counts_at(database_url)
    wrong = {
        table: (rows, counts.get(table))
        for table, rows in manifest["database"]["tables"].items()
        if counts.get(table) != rows
    }
    if wrong:
        raise BackupError(
            f"restored rows differ from the manifest (table: expected, found): {wrong}"
        )
    for entry in manifest["media"]["files"]:
        restored = media_root / entry["path"]
        if not restored.is_file() or sha256_of(restored) != entry["sha256"]:
            raise BackupError(f"restored file {entry['path']} differs from the manifest")
    return Restored(
        tables=len(counts),
        rows=sum(manifest["database"]["tables"].values()),
        files=len(manifest["media"]["files"]),
    )


def _psycopg(database_url: str):
    import psycopg2

    return psycopg2.connect(database_url.replace("postgres://", "postgresql://", 1))


def _postgres_restore(dump: Path, database_url: str, *, force: bool) -> None:
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise BackupError("a PostgreSQL backup needs a postgres:// database URL")
    with _psycopg(database_url) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        tables = cursor.fetchone()[0]
    db.close()
    if tables and not force:
        raise BackupError(
            f"the database has {tables} tables already; restore into an empty one "
            "(createdb), or pass --force to replace them"
        )
    args = [
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]
    if force:
        args += ["--clean", "--if-exists"]
    done = subprocess.run(
        [*args, f"--dbname={database_url}", str(dump)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///"):
        raise BackupError("an SQLite backup needs a sqlite:////absolute/path URL")
    return Path("/" + unquote(urlsplit(database_url).path).lstrip("/"))


def _sqlite_restore(copy: Path, database_url: str, *, force: bool) -> None:
    path = _sqlite_path(database_url)
    if path.exists() and path.stat().st_size and not force:
        raise BackupError(f"{path} exists already; pass --force to replace it")
    part = path.with_name(path.name + ".part")
    shutil.copyfile(copy, part)
    os.replace(part, path)


def _counts_at(database_url: str) -> dict[str, int]:
    if database_url.startswith("sqlite:"):
        db = sqlite3.connect(_sqlite_path(database_url))
        try:
            names = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        finally:
            db.close()
    with _psycopg(database_url) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        counts = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    db.close()
    return counts


def _media_restore(tar_path: Path, media_root: Path, *, force: bool) -> None:
    if media_root.exists() and any(p.is_file() for p in media_root.rglob("*")) and not force:
        raise BackupError(f"{media_root} has files already; pass --force to write over them")
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tar_path) as tar:
        tar.extractall(media_root, filter="data")  # no paths outside media_root, no links out
