"""manage.py rulebook_load FILE --year YYYY [--body ID-or-short-name] [--publish]
[--user USERNAME]: check a rulebook file (docs/rulebook-format.md) and store it
as the next version of the body's rulebook for the year. An invalid file is not
stored: every problem is printed with its place, and the command fails."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring.rulebook.load import LoadError, load
from scoring.services import rulebook_load
from sectors.models import Body


def body_named(ref: str | None, *, named_in_file: str = "") -> Body:
    """The body `ref` names (an id, a short name or a name); without one, the
    only body of the install, or the one the file names."""
    bodies = Body.objects.all()
    if ref:
        found = bodies.filter(pk=int(ref)) if ref.isdigit() else Body.objects.none()
        found = found or bodies.filter(short_name=ref) or bodies.filter(name=ref)
        if len(found) != 1:
            raise CommandError(_("找不到政协“%(ref)s”(可填 ID、简称或全称)") % {"ref": ref})
        return found[0]
    if named_in_file:
        found = bodies.filter(name=named_in_file) or bodies.filter(short_name=named_in_file)
        if len(found) == 1:
            return found[0]
    found = list(bodies[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise CommandError(_("系统中还没有政协"))
    raise CommandError(_("系统中有多个政协,请用 --body 指明(ID、简称或全称)"))


class Command(BaseCommand):
    help = _("检查计分规则文件并导入为某政协某年度计分规则的新版本")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("计分规则文件(YAML 或 JSON,UTF-8)"))
        parser.add_argument("--year", type=int, required=True, help=_("规则适用的年度"))
        parser.add_argument("--body", help=_("政协的 ID、简称或全称(系统中有多个政协时必填)"))
        parser.add_argument("--publish", action="store_true", help=_("导入后立即发布"))
        parser.add_argument("--user", help=_("记为导入人的用户名"))

    def handle(self, *args, file, year, body=None, publish=False, user=None, **options):
        if not 1949 <= year <= 2200:
            raise CommandError(_("年度 %(year)s 不正确") % {"year": year})
        try:
            text = Path(file).read_bytes().decode("utf-8-sig")
        except OSError as e:
            raise CommandError(
                _("无法读取文件 %(file)s:%(error)s") % {"file": file, "error": e.strerror}
            ) from None
        except UnicodeDecodeError:
            raise CommandError(_("文件不是 UTF-8 编码的文本")) from None
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(_("没有用户名为 %(user)s 的用户") % {"user": user})
        target = body_named(body, named_in_file=_body_in(text))
        try:
            rulebook = rulebook_load(body=target, year=year, text=text, by=by, publish=publish)
        except ValidationError as e:
            for message in e.messages:
                self.stderr.write(message)
            raise CommandError(
                _("计分规则有 %(n)s 处问题,未导入") % {"n": len(e.messages)}
            ) from None
        self.stdout.write(
            _("已导入%(body)s %(year)s 年度计分规则“%(name)s”第 %(version)s 版(%(status)s)")
            % {
                "body": target.name,
                "year": year,
                "name": rulebook.name,
                "version": rulebook.version,
                "status": rulebook.get_status_display(),
            }
        )


def _body_in(text: str) -> str:
    """The body the file names, if it names one (for choosing the body)."""
    try:
        tree = load(text)[0]
    except LoadError:
        return ""
    named = tree.get("body") if isinstance(tree, dict) else None
    return named if isinstance(named, str) else ""
