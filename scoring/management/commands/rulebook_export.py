"""manage.py rulebook_export --year YYYY [--body ID-or-short-name] [--version N]
[-o FILE]: write a stored rulebook (the version in force, or the latest, or
version N) back as a rulebook file in YAML."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring.models import Rulebook
from scoring.rulebook import rulebook_dump

from .rulebook_load import body_named


class Command(BaseCommand):
    help = _("把某政协某年度的计分规则导出为 YAML 文件")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the rulebook's version here, not the program's
        # (Django's own --version gives way to it).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help=_("年度"))
        parser.add_argument("--body", help=_("政协的 ID、简称或全称(系统中有多个政协时必填)"))
        parser.add_argument(
            "--version",
            type=int,
            dest="number",
            help=_("版本号(默认为已发布的版本,否则为最新版本)"),
        )
        parser.add_argument("-o", "--output", help=_("写入的文件(默认输出到屏幕)"))

    def handle(self, *args, year, body=None, number=None, output=None, **options):
        target = body_named(body)
        versions = Rulebook.objects.of(target.pk, year)
        if number is not None:
            rulebook = versions.filter(version=number).first()
        else:
            rulebook = versions.published().first() or versions.order_by("-version").first()
        if rulebook is None:
            raise CommandError(
                _("%(body)s没有 %(year)s 年度的计分规则%(version)s")
                % {
                    "body": target.name,
                    "year": year,
                    "version": _("第 %(n)s 版") % {"n": number} if number else "",
                }
            )
        text = rulebook_dump(rulebook.parsed())
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(
                _("已导出第 %(version)s 版到 %(file)s")
                % {"version": rulebook.version, "file": output}
            )
        else:
            self.stdout.write(text, ending="")
