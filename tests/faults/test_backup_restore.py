"""Backup and restore (config/backup.py, `manage.py backup` and `restore`):
data made through the services and factories on the test's database, with
uploaded files (a member's photo, a self-reported duty's attachment); a
backup; a restore into a fresh database (createdb) and a fresh media
directory; then every table has the same rows (count, and the md5 of all its
rows as text) and every file the same bytes. The restore refuses to write
over a database or a directory that is not empty."""

import datetime
import hashlib
import io
import json
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from duties.models import DutyAttachment, SelfReportedDuty
from scoring.tests.test_jobs import eager, scored  # noqa: F401  (eager: a fixture)
from scoring.tests.test_services import compute
from scoring.tests.test_worked_members_through_the_app import App
from tests import factories as f
from tests.servers import PG_BIN, database_url_of_the_test_run

pytestmark = [pytest.mark.postgres]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def data(transactional_db, world, eager, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    app = App(world)
    scored(app)
    compute(app)  # scores and their lines
    world.member.person.photo.save("member.png", ContentFile(_png()), save=True)
    duty = SelfReportedDuty.objects.create(
        member=world.member,
        kind=f.ActivityKindFactory(body=world.body, code="good_deed"),
        done_on=datetime.date(2026, 3, 1),
        description="为社区老人办实事",
    )
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    attachment = DutyAttachment(
        duty=duty, name="调研报告.pdf", content_type="application/pdf", size=len(pdf)
    )
    attachment.file.save("report.pdf", ContentFile(pdf), save=True)
    return settings.MEDIA_ROOT


@pytest.fixture
def fresh_database():
    """A new, empty database beside the test's, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    base = database_url_of_the_test_run().rsplit("/", 1)[0]
    subprocess.run(
        [str(PG_BIN / "createdb"), f"--maintenance-db={base}/postgres", name],
        check=True,
        capture_output=True,
    )
    yield f"{base}/{name}"
    subprocess.run(
        [
            str(PG_BIN / "dropdb"),
            "--force",
            "--if-exists",
            f"--maintenance-db={base}/postgres",
            name,
        ],
        check=True,
        capture_output=True,
    )


def tables_fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and the md5 of its rows as text, sorted."""
    with psycopg2.connect(url.replace("postgres://", "postgresql://", 1)) as db, db.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        found = {}
        for (table,) in cur.fetchall():
            cur.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            )
            found[table] = cur.fetchone()
    db.close()
    return found


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_backup_restores_every_row_and_file_into_a_fresh_database(data, fresh_database, tmp_path):
    media = data
    before = tables_fingerprint(database_url_of_the_test_run())
    originals = files_of(media)
    assert len(originals) == 2  # the photo and the attachment
    assert before["scoring_scoreline"][0] > 0 and before["members_person"][0] > 5

    # when a backup is made
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    made = Path(out.getvalue().split(":")[0])
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [made.name]  # no .tmp left
    manifest = json.loads((made / "manifest.json").read_text())
    assert {t: n for t, (n, _md5) in before.items()} == manifest["database"]["tables"]
    assert {f["path"]: f["sha256"] for f in manifest["media"]["files"]} == {
        path: hashlib.sha256(content).hexdigest() for path, content in originals.items()
    }

    # and restored into a fresh database and media directory
    restored_media = tmp_path / "restored-media"
    out = io.StringIO()
    call_command(
        "restore",
        str(made),
        database_url=fresh_database,
        media_root=str(restored_media),
        stdout=out,
    )
    assert "all match the manifest" in out.getvalue()

    # then every table has the same rows and every file the same bytes
    after = tables_fingerprint(fresh_database)
    assert after == before
    assert files_of(restored_media) == originals

    # and a second restore over them is refused, the database untouched
    with pytest.raises(CommandError, match="tables already"):
        call_command(
            "restore", str(made), database_url=fresh_database, media_root=str(tmp_path / "other")
        )
    assert tables_fingerprint(fresh_database) == before


def test_a_damaged_backup_is_refused_before_anything_is_written(data, fresh_database, tmp_path):
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    made = Path(out.getvalue().split(":")[0])
    with (made / "database.dump").open("r+b") as dump:
        dump.seek(200)
        dump.write(b"\0" * 16)

    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command(
            "restore", str(made), database_url=fresh_database, media_root=str(tmp_path / "m")
        )
    assert tables_fingerprint(fresh_database) == {}
    assert not (tmp_path / "m").exists()
