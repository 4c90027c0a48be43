"""manage.py rulebook_load and rulebook_export."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scoring.models import Rulebook
from scoring.rulebook import rulebook_parse
from tests import factories as f

from .test_worked_members_through_the_app import YEAR, App, rulebook_text


@pytest.fixture
def r1_file(tmp_path):
    path = tmp_path / "r1.yaml"
    path.write_text(rulebook_text("r1.yaml"), encoding="utf-8")
    return path


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_load_names_the_body_when_there_are_several(app, r1_file):
    with pytest.raises(CommandError, match="系统中有多个政协,请用 --body 指明"):
        run("rulebook_load", str(r1_file), "--year", str(YEAR))

    out, _err = run("rulebook_load", str(r1_file), "--year", str(YEAR), "--body", "江城")

    rulebook = Rulebook.objects.get()
    assert (rulebook.body, rulebook.version, rulebook.status) == (app.body, 1, "draft")
    assert rulebook.created_by is None
    assert out.strip() == (
        f"已导入江城市政协 {YEAR} 年度计分规则“R1 基本分 70(扣分)+ 加分封顶 50”第 1 版(草稿)"
    )


def test_load_by_body_id_publishes_and_records_the_user(app, r1_file):
    run(
        "rulebook_load",
        str(r1_file),
        "--year",
        str(YEAR),
        "--body",
        str(app.body.pk),
        "--publish",
        "--user",
        "staff",
    )

    rulebook = Rulebook.objects.get()
    assert (rulebook.status, rulebook.created_by) == ("published", app.staff)


def test_load_takes_the_only_body_or_the_one_the_file_names(db, tmp_path):
    only = f.BodyFactory(name="海安市政协", short_name="海安")
    f.TermFactory(body=only)
    f.ActivityKindFactory(body=only, code="inspection")
    paths = {}
    for year in (YEAR, YEAR + 1):
        paths[year] = tmp_path / f"{year}.yaml"
        paths[year].write_text(
            f"format: 1\nname: 测试\nbody: 海安市政协\nyear: {year}\n"
            "categories: [{code: c, name: 类}]\nitems: []\n",
            encoding="utf-8",
        )

    run("rulebook_load", str(paths[YEAR]), "--year", str(YEAR))
    f.BodyFactory(name="如皋市政协")  # a second body: the file names the first
    run("rulebook_load", str(paths[YEAR + 1]), "--year", str(YEAR + 1))

    assert list(Rulebook.objects.order_by("year").values_list("body", "year")) == [
        (only.pk, YEAR),
        (only.pk, YEAR + 1),
    ]


def test_load_prints_every_error_with_its_place_and_stores_nothing(app, tmp_path):
    path = tmp_path / "bad.yaml"
    text = rulebook_text("r1.yaml").replace("points: -30", "points: 30")
    text = text.replace("kind: report.instructed", "kind: report.instruct")
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError, match="计分规则有 2 处问题,未导入") as failed:
        run("rulebook_load", str(path), "--year", str(YEAR), "--body", "江城")

    assert failed.value.returncode == 1  # manage.py exits non-zero
    assert not Rulebook.objects.exists()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("rulebook_load", str(path), "--year", str(YEAR), "--body", "江城", stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("items[0].points(第 27 行):")
    assert lines[1].startswith("items[9].kind(第 104 行):")
    assert "report.instruct" in lines[1]


def test_load_refuses_a_missing_file_or_one_not_in_utf8(app, tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        run("rulebook_load", str(tmp_path / "none.yaml"), "--year", str(YEAR), "--body", "江城")
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("name: 规则".encode("gbk"))
    with pytest.raises(CommandError, match="文件不是 UTF-8 编码的文本"):
        run("rulebook_load", str(gbk), "--year", str(YEAR), "--body", "江城")
    utf8 = tmp_path / "utf8.yaml"
    utf8.write_text(rulebook_text("r1.yaml"), encoding="utf-8")
    with pytest.raises(CommandError, match="找不到政协“无此政协”"):
        run("rulebook_load", str(utf8), "--year", str(YEAR), "--body", "无此政协")


def test_export_writes_the_version_in_force_as_yaml(app, r1_file, tmp_path):
    run("rulebook_load", str(r1_file), "--year", str(YEAR), "--body", "江城", "--publish")
    edited = rulebook_text("r1.yaml").replace("cap: 50", "cap: 45")
    r1_file.write_text(edited, encoding="utf-8")
    run("rulebook_load", str(r1_file), "--year", str(YEAR), "--body", "江城")

    out, _err = run("rulebook_export", "--year", str(YEAR), "--body", "江城")
    target = tmp_path / "v2.yaml"
    run("rulebook_export", "--year", str(YEAR), "--body", "江城", "--version", "2", "-o", target)

    published, draft = Rulebook.objects.order_by("version")
    assert rulebook_parse(out) == published.parsed()
    assert rulebook_parse(target.read_text(encoding="utf-8")) == draft.parsed()
    assert draft.parsed().category("bonus").cap == 45
    assert "notes:" in out  # the notes are kept
    with pytest.raises(CommandError, match=f"江城市政协没有 {YEAR} 年度的计分规则第 3 版"):
        run("rulebook_export", "--year", str(YEAR), "--body", "江城", "--version", "3")
