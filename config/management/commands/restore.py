"""manage.py restore BACKUP --database-url URL --media-root DIR [--force]:
a backup made by `manage.py backup` into an empty database and media
directory, checked against its manifest (config/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory into the (existing, empty) database at --database-url "
        "and into --media-root, then check every table's rows and every file against "
        "the manifest. Refuses a database or directory that is not empty unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a lvzhi-backup-<time> directory")
        parser.add_argument("--database-url", required=True)
        parser.add_argument("--media-root", required=True)
        parser.add_argument(
            "--force", action="store_true", help="replace what the database and directory hold"
        )

    def handle(self, *args, backup, database_url, media_root, force, **options):
        try:
            done = backup_restore(
                backup=Path(backup),
                database_url=database_url,
                media_root=Path(media_root),
                force=force,
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"restored {done.tables} tables, {done.rows} rows and {done.files} files; "
            "all match the manifest"
        )
