"""manage.py facts_rebuild [--body ID] [--year YYYY]: project every member's
records into the duty-fact ledger again and print what changed."""

import time

from django.core.management.base import BaseCommand, CommandError

from scoring.facts import facts_rebuild
from sectors.models import Body


class Command(BaseCommand):
    help = "重建履职事实(可限定政协和年度),输出新增、删除和未变的条数"

    def add_arguments(self, parser):
        parser.add_argument("--body", type=int, help="政协 ID(不填为全部)")
        parser.add_argument("--year", type=int, help="年度(按事实发生日期;不填为全部年度)")

    def handle(self, *args, body=None, year=None, verbosity=1, **options):
        if body is not None and not Body.objects.filter(pk=body).exists():
            raise CommandError(f"没有 ID 为 {body} 的政协")
        if year is not None and not 1949 <= year <= 2100:
            raise CommandError(f"年度 {year} 不正确")
        started = time.monotonic()

        def progress(result):
            if verbosity > 1:
                self.stdout.write(f"  已处理委员 {result.members} 人")

        result = facts_rebuild(body=body, year=year, progress=progress)
        self.stdout.write(
            f"委员 {result.members} 人,事实 {result.total} 条:"
            f"新增 {result.created},删除 {result.deleted},未变 {result.unchanged}"
            f"(用时 {time.monotonic() - started:.1f} 秒)"
        )
