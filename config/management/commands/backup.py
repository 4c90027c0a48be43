"""manage.py backup DIR: the database and the uploaded files, with a
manifest, in a new directory under DIR (config/backup.py; docs/deployment.md,
"Backups")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, backup_write, manifest_read


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and MEDIA_ROOT into a new directory under DIR."

    def add_arguments(self, parser):
        parser.add_argument("target", help="the directory that receives lvzhi-backup-<time>/")
        parser.add_argument("--media-root", help="back up this directory instead of MEDIA_ROOT")

    def handle(self, *args, target, media_root=None, **options):
        try:
            made = backup_write(
                target=Path(target), media_root=Path(media_root) if media_root else None
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = manifest_read(made)
        tables = manifest["database"]["tables"]
        self.stdout.write(
            f"{made}: {len(tables)} tables, {sum(tables.values())} rows, "
            f"{len(manifest['media']['files'])} files"
        )
