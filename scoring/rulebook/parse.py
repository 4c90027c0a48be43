"""A plain tree to a Rulebook, checking the whole of it first.

Every problem is collected with its place (`items[3].where.role`, and the line
when the loader knows it) and raised at the end as one RulebookInvalid; a part
that is wrong is skipped so that one mistake is reported once, not again by
every check that depends on it."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .load import LoadError, Path, load
from .types import (
    FACT_KINDS,
    FORMAT_VERSION,
    GROUP_SCORES,
    MARK,
    MODES,
    SHARED_KINDS,
    SHARES,
    WINDOWS,
    Assessed,
    Band,
    Candidate,
    Category,
    Checklist,
    ChecklistItem,
    Condition,
    FactFilter,
    FollowUp,
    GroupCandidates,
    Item,
    Points,
    Rulebook,
    Veto,
    Who,
)

LARGEST = Decimal(1_000_000)
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$")
_MISSING = object()


@dataclass(frozen=True)
class RulebookError:
    path: str  # e.g. "items[3].where.role"; "" for the whole file
    message: str
    line: int | None = None

    def __str__(self):
        place = self.path or _("文件")
        if self.line:
            place = _("%(place)s(第 %(line)s 行)") % {"place": place, "line": self.line}
        return f"{place}:{self.message}"


class RulebookInvalid(Exception):
    def __init__(self, errors: list[RulebookError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def path_text(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def rulebook_parse(text: str | bytes, *, activity_kinds=None) -> Rulebook:
    """Parse and validate a rulebook file; raise RulebookInvalid listing every problem.

    `activity_kinds`, when given, is the set of the body's activity kind codes:
    a code the body does not have is then an error too."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RulebookInvalid([RulebookError("", _("文件不是 UTF-8 编码的文本"))]) from None
    if not isinstance(text, str):
        raise RulebookInvalid([RulebookError("", _("文件应为文本"))])
    try:
        tree, lines, duplicates = load(text)
    except LoadError as e:
        raise RulebookInvalid([RulebookError(path_text(e.path), e.message, e.line)]) from None
    checker = _Checker(lines, activity_kinds)
    for path in duplicates:
        checker.error(path, _("字段重复"))
    rulebook = checker.rulebook(tree)
    if checker.errors:
        # in file order; errors without a line (whole-file ones) first
        raise RulebookInvalid(sorted(checker.errors, key=lambda e: e.line or 0))
    return rulebook


def _declared(node, key) -> set:
    """The `key` of each mapping in a list, whatever else is wrong with them."""
    if not isinstance(node, list):
        return set()
    return {x[key] for x in node if isinstance(x, dict) and isinstance(x.get(key), str)}


class _Checker:
    def __init__(self, lines, activity_kinds):
        self.lines = lines
        self.activity_kinds = None if activity_kinds is None else set(activity_kinds)
        self.errors: list[RulebookError] = []

    def error(self, path: Path, message: str):
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        self.errors.append(RulebookError(path_text(path), message, line))

    # --- scalars -----------------------------------------------------------------

    def mapping(self, node, path, required=(), optional=()):
        if not isinstance(node, dict):
            self.error(path, _("应为键值表"))
            return None
        for key in node:
            if key not in required and key not in optional:
                self.error((*path, key), _("未知的字段 “%(key)s”") % {"key": str(key)[:60]})
        for key in required:
            if key not in node:
                self.error((*path, key), _("缺少必填字段 “%(key)s”") % {"key": key})
        return node

    def listing(self, node, path, *, allow_empty=True):
        if not isinstance(node, list):
            self.error(path, _("应为列表"))
            return []
        if not node and not allow_empty:
            self.error(path, _("列表不能为空"))
        return node

    def text(self, node, path, *, default=_MISSING):
        if node is _MISSING and default is not _MISSING:
            return default
        if not isinstance(node, str):
            self.error(path, _("应为文字"))
            return None
        if len(node) > 2000:
            self.error(path, _("文字过长"))
            return None
        return node

    def name(self, node, path) -> str:
        """A required name (its absence is already reported)."""
        return (self.text(node["name"], (*path, "name")) if "name" in node else None) or ""

    def code(self, node, path):
        value = self.text(node, path)
        if value is not None and not CODE.match(value):
            self.error(
                path,
                _("代码 “%(code)s” 应以英文字母开头,只含英文字母、数字、_ . -,不超过 50 个字符")
                % {"code": value[:60]},
            )
            return None
        return value

    def boolean(self, node, path, *, default=_MISSING):
        if node is _MISSING and default is not _MISSING:
            return default
        if not isinstance(node, bool):
            self.error(path, _("应为 true 或 false"))
            return None
        return node

    def integer(self, node, path, *, minimum=1, maximum=1_000_000, default=_MISSING):
        if node is _MISSING and default is not _MISSING:
            return default
        if isinstance(node, bool) or not isinstance(node, int):
            self.error(path, _("应为整数"))
            return None
        if node < 0 and minimum >= 0:
            self.error(path, _("不能为负数"))
            return None
        if node < minimum:
            self.error(path, _("应不小于 %(n)s") % {"n": minimum})
            return None
        if node > maximum:
            self.error(path, _("应不大于 %(n)s") % {"n": maximum})
            return None
        return node

    def number(self, node, path, *, default=_MISSING, minimum=None, maximum=None, places=2):
        if node is _MISSING and default is not _MISSING:
            return default
        if isinstance(node, bool) or not isinstance(node, int | float | Decimal | str):
            self.error(path, _("应为数字"))
            return None
        try:
            # a float goes through its shortest repr: 0.1 is 0.1, not 0.1000000000000000055…
            value = Decimal(repr(node)) if isinstance(node, float) else Decimal(node)
        except (InvalidOperation, ValueError):
            self.error(path, _("应为数字"))
            return None
        if not value.is_finite():
            self.error(path, _("应为有限的数字"))
            return None
        if abs(value) > LARGEST:
            self.error(path, _("数值过大(绝对值不超过 %(n)s)") % {"n": LARGEST})
            return None
        if value.as_tuple().exponent < -places:
            self.error(path, _("小数位数过多(最多 %(n)s 位)") % {"n": places})
            return None
        if minimum is not None and value < minimum:
            self.error(path, _("应不小于 %(n)s") % {"n": minimum})
            return None
        if maximum is not None and value > maximum:
            self.error(path, _("应不大于 %(n)s") % {"n": maximum})
            return None
        return value + 0  # normalises -0

    def date(self, node, path, *, default=_MISSING):
        if node is _MISSING and default is not _MISSING:
            return default
        if isinstance(node, datetime.date) and not isinstance(node, datetime.datetime):
            return node
        if isinstance(node, str):
            try:
                return datetime.date.fromisoformat(node)
            except ValueError:
                pass
        self.error(path, _("应为日期,如 2025-10-01"))
        return None

    def choice(self, node, path, choices, *, default=_MISSING, what=None):
        if node is _MISSING and default is not _MISSING:
            return default
        value = self.text(node, path)
        if value is not None and value not in choices:
            self.error(
                path,
                _("未知的%(what)s “%(value)s”(可用:%(choices)s)")
                % {"what": what or _("取值"), "value": value[:60], "choices": "、".join(choices)},
            )
            return None
        return value

    def unique(self, codes_paths, what):
        seen = set()
        for code, path in codes_paths:
            if code is None:
                continue
            if code in seen:
                self.error(path, _("%(what)s代码 “%(code)s” 重复") % {"what": what, "code": code})
            seen.add(code)

    # --- the file ----------------------------------------------------------------

    def rulebook(self, tree):
        top = self.mapping(
            tree,
            (),
            required=("format", "name", "year", "categories", "items"),
            optional=(
                "body",
                "term",
                "notes",
                "assessed",
                "total",
                "grades",
                "vetoes",
                "follow_ups",
                "candidates",
                "checklists",
                "sector_groups",
            ),
        )
        if top is None:
            return None
        get = top.get
        fmt = get("format", _MISSING)
        if fmt is not _MISSING and (type(fmt) is not int or fmt != FORMAT_VERSION):
            self.error(
                ("format",),
                _("不支持的格式版本 “%(v)s”(当前为 %(n)s)")
                % {"v": str(fmt)[:20], "n": FORMAT_VERSION},
            )
        name = self.text(get("name", _MISSING), ("name",)) if "name" in top else None
        year = (
            self.integer(top["year"], ("year",), minimum=1949, maximum=2200)
            if "year" in top
            else None
        )
        body = self.text(get("body", _MISSING), ("body",), default="")
        term = self.integer(get("term", _MISSING), ("term",), maximum=1000, default=None)
        notes = tuple(
            self.text(n, ("notes", i)) or ""
            for i, n in enumerate(self.listing(get("notes", []), ("notes",)))
        )
        assessed = self.assessed(get("assessed", {}), ("assessed",))
        total_cap, total_floor = self.total(get("total", {}), ("total",))

        categories = (
            self.categories(top["categories"], ("categories",)) if "categories" in top else ()
        )
        grades = self.grades(get("grades", []), ("grades",))
        checklists = self.checklists(get("checklists", []), ("checklists",))
        # References are checked against what the file declares, valid or not, so
        # that a broken item is reported once and not again by everything naming it.
        category_codes = _declared(get("categories"), "code")
        grade_names = _declared(get("grades"), "name")
        checklist_codes = _declared(get("checklists"), "code")
        item_codes = _declared(get("items"), "code")
        items = self.items(get("items", []), ("items",), categories, category_codes)
        vetoes = self.vetoes(
            get("vetoes", []), ("vetoes",), grade_names, item_codes, checklist_codes
        )
        follow_ups = self.follow_ups(get("follow_ups", []), ("follow_ups",), grade_names)
        candidates = self.candidates(
            get("candidates", []), ("candidates",), grade_names, checklist_codes
        )
        group_score = None
        group_candidates = None
        groups = None
        if "sector_groups" in top:
            groups = self.mapping(
                top["sector_groups"],
                ("sector_groups",),
                required=("score",),
                optional=("candidates",),
            )
        if groups is not None and "score" in groups:
            group_score = self.choice(
                groups["score"],
                ("sector_groups", "score"),
                GROUP_SCORES,
                what=_("界别小组计分方式"),
            )
        if groups is not None and "candidates" in groups:
            group_candidates = self.group_candidates(
                groups["candidates"], ("sector_groups", "candidates")
            )
        if self.errors:
            return None
        return Rulebook(
            name=name,
            year=year,
            body=body,
            term=term,
            notes=notes,
            assessed=assessed,
            total_cap=total_cap,
            total_floor=total_floor,
            categories=categories,
            items=items,
            grades=grades,
            vetoes=vetoes,
            follow_ups=follow_ups,
            candidates=candidates,
            checklists=checklists,
            group_score=group_score,
            group_candidates=group_candidates,
        )

    def cap_floor(self, node, path):
        cap = self.number(node.get("cap", _MISSING), (*path, "cap"), default=None)
        floor = self.number(node.get("floor", _MISSING), (*path, "floor"), default=None)
        if cap is not None and floor is not None and cap < floor:
            self.error(
                (*path, "cap"),
                _("上限 %(cap)s 低于下限 %(floor)s") % {"cap": cap, "floor": floor},
            )
        return cap, floor

    def total(self, node, path):
        node = self.mapping(node, path, optional=("cap", "floor"))
        return (None, None) if node is None else self.cap_floor(node, path)

    def assessed(self, node, path):
        node = self.mapping(
            node,
            path,
            optional=(
                "exempt_flags",
                "exempt_joined_after",
                "exempt_on_leave",
                "prorate",
                "min_share",
            ),
        )
        if node is None:
            return Assessed()
        flags = tuple(
            f
            for i, f in enumerate(
                self.listing(node.get("exempt_flags", []), (*path, "exempt_flags"))
            )
            if self.code(f, (*path, "exempt_flags", i))
        )
        prorate = self.boolean(node.get("prorate", _MISSING), (*path, "prorate"), default=False)
        min_share = self.number(
            node.get("min_share", _MISSING),
            (*path, "min_share"),
            default=None,
            minimum=Decimal(0),
            maximum=Decimal(1),
            places=4,
        )
        if min_share is not None and not prorate:
            self.error((*path, "min_share"), _("min_share 只在 prorate: true 时有意义"))
        return Assessed(
            exempt_flags=flags,
            exempt_joined_after=self.date(
                node.get("exempt_joined_after", _MISSING),
                (*path, "exempt_joined_after"),
                default=None,
            ),
            exempt_on_leave=self.boolean(
                node.get("exempt_on_leave", _MISSING), (*path, "exempt_on_leave"), default=False
            ),
            prorate=bool(prorate),
            min_share=min_share,
        )

    # --- categories and items --------------------------------------------------------

    def categories(self, node, path):
        out, codes = [], []
        raw = self.listing(node, path, allow_empty=False)
        for i, c in enumerate(raw):
            p = (*path, i)
            c = self.mapping(
                c,
                p,
                required=("code", "name"),
                optional=("parent", "mode", "base", "cap", "floor", "note"),
            )
            if c is None:
                continue
            code = self.code(c.get("code"), (*p, "code")) if "code" in c else None
            codes.append((code, (*p, "code")))
            mode = self.choice(
                c.get("mode", _MISSING), (*p, "mode"), MODES, default="add", what=_("计分方式")
            )
            base = self.number(c.get("base", _MISSING), (*p, "base"), default=None)
            if mode == "deduct" and base is None and "base" not in c:
                self.error((*p, "base"), _("扣分制类别必须有基础分 base"))
            if mode == "add" and base:
                self.error((*p, "base"), _("加分制类别从零起算,不设基础分;请用 mode: deduct"))
            cap, floor = self.cap_floor(c, p)
            parent = self.code(c["parent"], (*p, "parent")) if "parent" in c else None
            out.append(
                (
                    p,
                    Category(
                        code=code,
                        name=self.text(c.get("name"), (*p, "name")) if "name" in c else None,
                        parent=parent,
                        mode=mode,
                        base=base or Decimal(0),
                        cap=cap,
                        floor=floor,
                        note=self.text(c.get("note", _MISSING), (*p, "note"), default=""),
                    ),
                )
            )
        self.unique(codes, _("类别"))
        by_code = {c.code: c for _p, c in out if c.code}
        for p, c in out:
            if c.parent is None:
                continue
            parent = by_code.get(c.parent)
            if parent is None:
                self.error((*p, "parent"), _("类别 “%(code)s” 不存在") % {"code": c.parent})
            elif parent.parent is not None or parent.code == c.code:
                self.error((*p, "parent"), _("子类别只能有一层:上级类别须是顶层类别"))
        return tuple(c for _p, c in out)

    def items(self, node, path, categories, declared):
        by_code = {c.code: c for c in categories}
        out, codes = [], []
        for i, it in enumerate(self.listing(node, path)):
            p = (*path, i)
            item = self.item(it, p, by_code, declared)
            if item is not None:
                codes.append((item.code, (*p, "code")))
                out.append(item)
        self.unique(codes, _("计分项"))
        return tuple(out)

    def item(self, node, p, categories, declared):
        node = self.mapping(
            node,
            p,
            required=("code", "name", "category", "kind"),
            optional=(
                "points",
                "where",
                "who",
                "share",
                "first_share",
                "first",
                "from_nth",
                "per",
                "cap",
                "floor",
                "group",
                "max",
                "note",
            ),
        )
        if node is None:
            return None
        get = node.get
        code = self.code(get("code"), (*p, "code")) if "code" in node else None
        name = self.text(get("name"), (*p, "name")) if "name" in node else None
        category = None
        if "category" in node:
            category = self.code(get("category"), (*p, "category"))
            if category is not None and category not in declared:
                self.error((*p, "category"), _("类别 “%(code)s” 不存在") % {"code": category})
                category = None
        kind = None
        if "kind" in node:
            kind = self.text(get("kind"), (*p, "kind"))
            if kind is not None and kind != MARK and kind not in FACT_KINDS:
                self.error(
                    (*p, "kind"),
                    _("未知的事实类型 “%(kind)s”(可用:%(kinds)s,或 mark 表示工作人员评分)")
                    % {"kind": kind[:60], "kinds": "、".join(FACT_KINDS)},
                )
                kind = None
        cap, floor = self.cap_floor(node, p)
        who = self.who(get("who", {}), (*p, "who"))
        if kind == MARK:
            return self.mark_item(node, p, code, name, category, who, cap, floor)
        attrs = FACT_KINDS.get(kind)
        where = self.where(get("where", {}), (*p, "where"), kind, attrs)
        points = None
        if "points" in node:
            points = self.points(node["points"], (*p, "points"), kind, attrs)
        elif kind is not None:
            self.error((*p, "points"), _("缺少必填字段 “%(key)s”") % {"key": "points"})
        if "max" in node:
            self.error((*p, "max"), _("max 只用于工作人员评分项(kind: mark)"))
        share = self.choice(
            get("share", _MISSING), (*p, "share"), SHARES, default="full", what=_("分享方式")
        )
        first_share = self.number(
            get("first_share", _MISSING),
            (*p, "first_share"),
            default=None,
            minimum=Decimal(0),
            maximum=Decimal(1),
            places=4,
        )
        if share in ("by_role", "split") and kind is not None and kind not in SHARED_KINDS:
            self.error(
                (*p, "share"),
                _("分享方式 “%(share)s” 只适用于带提案人身份的事实(%(kinds)s)")
                % {"share": share, "kinds": "、".join(sorted(SHARED_KINDS))},
            )
        if share == "by_role" and points is not None and points.by != "role":
            self.error(
                (*p, "points"), _("分享方式 by_role 要求按身份给分:points: {by: role, values: …}")
            )
        if share == "split" and "first_share" not in node:
            self.error(
                (*p, "first_share"), _("分享方式 split 须给出第一提案人所得比例 first_share")
            )
        if share != "split" and "first_share" in node:
            self.error((*p, "first_share"), _("first_share 只用于分享方式 split"))
        first = self.integer(get("first", _MISSING), (*p, "first"), default=None)
        from_nth = self.integer(get("from_nth", _MISSING), (*p, "from_nth"), default=None)
        if first is not None and from_nth is not None and from_nth > first:
            self.error((*p, "from_nth"), _("from_nth 大于 first,没有任何记录会计分"))
        per = self.choice(
            get("per", _MISSING), (*p, "per"), WINDOWS, default="year", what=_("计数周期")
        )
        group = self.code(get("group"), (*p, "group")) if "group" in node else None
        mode = categories[category].mode if category in categories else None
        if category not in categories:
            category = None  # declared but itself invalid: reported where it is declared
        if mode == "deduct" and points is not None:
            values = [points.value] if points.by is None else [v for _k, v in points.table]
            if any(v is not None and v > 0 for v in values):
                self.error((*p, "points"), _("扣分制类别中的计分项应为负数或零"))
        if None in (code, name, category, kind, points, share, per) or points is None:
            return None
        return Item(
            code=code,
            name=name,
            category=category,
            kind=kind,
            points=points,
            where=where or (),
            who=who or Who(),
            share=share,
            first_share=first_share,
            first=first,
            from_nth=from_nth,
            per=per,
            cap=cap,
            floor=floor,
            group=group,
            note=self.text(get("note", _MISSING), (*p, "note"), default=""),
        )

    def mark_item(self, node, p, code, name, category, who, cap, floor):
        for key in ("points", "where", "share", "first_share", "first", "from_nth", "per", "group"):
            if key in node:
                self.error((*p, key), _("工作人员评分项(kind: mark)不用 “%(key)s”") % {"key": key})
        if "max" not in node:
            self.error((*p, "max"), _("工作人员评分项须给出最高分 max"))
            return None
        top = self.number(node["max"], (*p, "max"), minimum=Decimal(0))
        if None in (code, name, category, top):
            return None
        return Item(
            code=code,
            name=name,
            category=category,
            kind=MARK,
            who=who or Who(),
            max=top,
            cap=cap,
            floor=floor,
            note=self.text(node.get("note", _MISSING), (*p, "note"), default=""),
        )

    def who(self, node, path):
        node = self.mapping(node, path, optional=("standing", "flags"))
        if node is None:
            return None
        flags = self.listing(node.get("flags", []), (*path, "flags"))
        return Who(
            standing=self.boolean(
                node.get("standing", _MISSING), (*path, "standing"), default=None
            ),
            flags=tuple(f for i, f in enumerate(flags) if self.code(f, (*path, "flags", i))),
        )

    def value_of(self, node, path, kind, attr, spec):
        """One attribute value in a condition or a points table."""
        if type(node) is not spec.type:
            self.error(
                path,
                _("属性 “%(attr)s” 的值应为%(type)s")
                % {
                    "attr": attr,
                    "type": {str: _("文字"), int: _("整数"), bool: "true/false"}[spec.type],
                },
            )
            return None
        if spec.values and node not in spec.values:
            self.error(
                path,
                _("属性 “%(attr)s” 没有取值 “%(value)s”(可用:%(values)s)")
                % {
                    "attr": attr,
                    "value": str(node)[:60],
                    "values": "、".join(v or '""' for v in spec.values),
                },
            )
            return None
        if (
            attr == "activity_kind"
            and self.activity_kinds is not None
            and node not in self.activity_kinds
        ):
            self.error(path, _("本政协没有代码为 “%(code)s” 的活动类型") % {"code": node[:60]})
            return None
        return node

    def attribute(self, attr, path, kind, attrs):
        spec = attrs.get(attr) if isinstance(attr, str) else None
        if spec is None:
            self.error(
                path,
                _("事实类型 “%(kind)s” 没有属性 “%(attr)s”(可用:%(attrs)s)")
                % {"kind": kind, "attr": str(attr)[:60], "attrs": "、".join(attrs) or _("无")},
            )
        return spec

    def where(self, node, path, kind, attrs):
        if not isinstance(node, dict):
            self.error(path, _("应为键值表:属性: 值"))
            return None
        if attrs is None:
            return None
        out = []
        for attr, raw in node.items():
            p = (*path, attr)
            spec = self.attribute(attr, p, kind, attrs)
            if spec is None:
                continue
            negated = False
            if isinstance(raw, dict):
                if set(raw) != {"not"}:
                    self.error(p, _("条件应为一个值、一组值,或 {not: 值或一组值}"))
                    continue
                negated, raw, p = True, raw["not"], (*p, "not")
            raw_values = raw if isinstance(raw, list) else [raw]
            if not raw_values:
                self.error(p, _("列表不能为空"))
                continue
            values = [
                self.value_of(v, (*p, i) if isinstance(raw, list) else p, kind, attr, spec)
                for i, v in enumerate(raw_values)
            ]
            if None not in values:
                out.append(Condition(attr, tuple(values), negated))
        return tuple(out)

    def points(self, node, path, kind, attrs):
        if not isinstance(node, dict):
            value = self.number(node, path)
            return None if value is None else Points(value=value)
        node = self.mapping(node, path, required=("by", "values"))
        if node is None or "by" not in node or "values" not in node or attrs is None:
            return None
        by = node["by"]
        spec = self.attribute(by, (*path, "by"), kind, attrs)
        if spec is not None and spec.type is not str:
            self.error((*path, "by"), _("按属性给分只能按文字属性(如 level、role)"))
            spec = None
        table = node["values"]
        if not isinstance(table, dict) or not table:
            self.error((*path, "values"), _("应为非空的键值表:属性值: 分数"))
            return None
        rows = []
        for key, raw in table.items():
            p = (*path, "values", key)
            value = self.number(raw, p)
            key_ok = spec is not None and self.value_of(key, p, kind, by, spec) is not None
            rows.append((key, value) if key_ok and value is not None else None)
        if spec is None or None in rows:
            return None
        return Points(by=by, table=tuple(rows))

    def fact_filter(self, node, path):
        node = self.mapping(node, path, required=("kind",), optional=("where",))
        if node is None or "kind" not in node:
            return None
        kind = self.text(node["kind"], (*path, "kind"))
        if kind is not None and kind not in FACT_KINDS:
            self.error(
                (*path, "kind"),
                _("未知的事实类型 “%(kind)s”(可用:%(kinds)s)")
                % {"kind": kind[:60], "kinds": "、".join(FACT_KINDS)},
            )
            kind = None
        where = self.where(node.get("where", {}), (*path, "where"), kind, FACT_KINDS.get(kind))
        if kind is None or where is None:
            return None
        return FactFilter(kind, where)

    # --- grades and what follows from them -------------------------------------------

    def grades(self, node, path):
        out, names = [], []
        raw = self.listing(node, path)
        for i, b in enumerate(raw):
            p = (*path, i)
            b = self.mapping(b, p, required=("name",), optional=("min",))
            if b is None:
                continue
            name = self.text(b["name"], (*p, "name")) if "name" in b else None
            names.append((name, (*p, "name")))
            last = i == len(raw) - 1
            minimum = None
            if "min" in b:
                minimum = self.number(b["min"], (*p, "min"))
                if last and minimum is not None:
                    self.error(
                        (*p, "min"),
                        _("最后一个(最低的)等次不设下限,它收下所有更低的总分"),
                    )
            elif not last:
                self.error((*p, "min"), _("除最后一个等次外,每个等次都须有下限 min"))
            out.append((p, name, minimum))
        self.unique(names, _("等次"))
        previous = None
        for p, name, minimum in out:
            if minimum is None:
                continue
            if previous is not None:
                prev_name, prev_min = previous
                if minimum == prev_min:
                    self.error(
                        (*p, "min"),
                        _("等次 “%(a)s” 与 “%(b)s” 的下限都是 %(n)s:区间重叠")
                        % {"a": prev_name, "b": name, "n": minimum},
                    )
                elif minimum > prev_min:
                    self.error(
                        (*p, "min"),
                        _(
                            "等次应按下限从高到低排列:“%(b)s” 的下限 %(n)s 高于上一个 “%(a)s” 的 %(m)s"
                        )
                        % {"a": prev_name, "b": name, "n": minimum, "m": prev_min},
                    )
            previous = (name, minimum)
        return tuple(Band(name, minimum) for _p, name, minimum in out if name is not None)

    def grade_names(self, node, path, known):
        out = []
        for i, g in enumerate(self.listing(node, path, allow_empty=False)):
            name = self.text(g, (*path, i))
            if name is not None and name not in known:
                self.error((*path, i), _("等次 “%(name)s” 不存在") % {"name": name[:60]})
            elif name is not None:
                out.append(name)
        return tuple(out)

    def vetoes(self, node, path, grades, items, checklists):
        out, codes = [], []
        for i, v in enumerate(self.listing(node, path)):
            p = (*path, i)
            v = self.mapping(
                v,
                p,
                required=("code", "name", "cap_grade"),
                optional=("item", "match", "at_least", "checklist_incomplete", "note"),
            )
            if v is None:
                continue
            code = self.code(v["code"], (*p, "code")) if "code" in v else None
            codes.append((code, (*p, "code")))
            cap_grade = None
            if "cap_grade" in v:
                cap_grade = self.text(v["cap_grade"], (*p, "cap_grade"))
                if cap_grade is not None and cap_grade not in grades:
                    self.error(
                        (*p, "cap_grade"), _("等次 “%(name)s” 不存在") % {"name": cap_grade[:60]}
                    )
                    cap_grade = None
            conditions = [k for k in ("item", "match", "checklist_incomplete") if k in v]
            if len(conditions) != 1:
                self.error(p, _("一票否决须有且只有一个条件:item、match 或 checklist_incomplete"))
                continue
            item = match = checklist = None
            if "item" in v:
                item = self.code(v["item"], (*p, "item"))
                if item is not None and item not in items:
                    self.error((*p, "item"), _("计分项 “%(code)s” 不存在") % {"code": item})
                    item = None
            if "match" in v:
                match = self.fact_filter(v["match"], (*p, "match"))
            if "checklist_incomplete" in v:
                checklist = self.code(v["checklist_incomplete"], (*p, "checklist_incomplete"))
                if checklist is not None and checklist not in checklists:
                    self.error(
                        (*p, "checklist_incomplete"),
                        _("清单 “%(code)s” 不存在") % {"code": checklist},
                    )
                    checklist = None
            at_least = self.integer(v.get("at_least", _MISSING), (*p, "at_least"), default=1)
            if None in (code, cap_grade, at_least) or (item or match or checklist) is None:
                continue
            out.append(
                Veto(
                    code=code,
                    name=self.name(v, p),
                    cap_grade=cap_grade,
                    item=item,
                    match=match,
                    at_least=at_least,
                    checklist_incomplete=checklist,
                    note=self.text(v.get("note", _MISSING), (*p, "note"), default=""),
                )
            )
        self.unique(codes, _("一票否决"))
        return tuple(out)

    def follow_ups(self, node, path, grades):
        out = []
        for i, f in enumerate(self.listing(node, path)):
            p = (*path, i)
            f = self.mapping(
                f,
                p,
                required=("code", "name"),
                optional=("grades", "total_below", "years", "note"),
            )
            if f is None:
                continue
            if "grades" not in f and "total_below" not in f:
                self.error(p, _("跟进规则须有条件:grades 和/或 total_below"))
                continue
            code = self.code(f["code"], (*p, "code")) if "code" in f else None
            names = self.grade_names(f["grades"], (*p, "grades"), grades) if "grades" in f else ()
            below = self.number(f.get("total_below", _MISSING), (*p, "total_below"), default=None)
            years = self.integer(f.get("years", _MISSING), (*p, "years"), maximum=50, default=1)
            if code is None or years is None or ("grades" in f and not names):
                continue
            out.append(
                FollowUp(
                    code=code,
                    name=self.name(f, p),
                    grades=names,
                    total_below=below,
                    years=years,
                    note=self.text(f.get("note", _MISSING), (*p, "note"), default=""),
                )
            )
        # A code may repeat: several rules raising the same follow-up (either one suffices).
        return tuple(out)

    def candidates(self, node, path, grades, checklists):
        out, codes = [], []
        for i, c in enumerate(self.listing(node, path)):
            p = (*path, i)
            c = self.mapping(
                c,
                p,
                required=("code", "name"),
                optional=("grades", "total_at_least", "no_veto", "checklist_complete", "note"),
            )
            if c is None:
                continue
            code = self.code(c["code"], (*p, "code")) if "code" in c else None
            codes.append((code, (*p, "code")))
            names = self.grade_names(c["grades"], (*p, "grades"), grades) if "grades" in c else ()
            checklist = None
            if "checklist_complete" in c:
                checklist = self.code(c["checklist_complete"], (*p, "checklist_complete"))
                if checklist is not None and checklist not in checklists:
                    self.error(
                        (*p, "checklist_complete"),
                        _("清单 “%(code)s” 不存在") % {"code": checklist},
                    )
            if code is None:
                continue
            out.append(
                Candidate(
                    code=code,
                    name=self.name(c, p),
                    grades=names,
                    total_at_least=self.number(
                        c.get("total_at_least", _MISSING), (*p, "total_at_least"), default=None
                    ),
                    no_veto=self.boolean(
                        c.get("no_veto", _MISSING), (*p, "no_veto"), default=False
                    ),
                    checklist_complete=checklist,
                    note=self.text(c.get("note", _MISSING), (*p, "note"), default=""),
                )
            )
        self.unique(codes, _("候选规则"))
        return tuple(out)

    def group_candidates(self, node, path):
        node = self.mapping(node, path, optional=("name", "top", "at_least", "note"))
        if node is None:
            return None
        if "top" not in node and "at_least" not in node:
            self.error(path, _("先进界别小组候选须有条件:top 和/或 at_least"))
            return None
        top = self.integer(node.get("top", _MISSING), (*path, "top"), maximum=10000, default=None)
        at_least = self.number(node.get("at_least", _MISSING), (*path, "at_least"), default=None)
        name = self.text(node.get("name", _MISSING), (*path, "name"), default="")
        note = self.text(node.get("note", _MISSING), (*path, "note"), default="")
        return GroupCandidates(top=top, at_least=at_least, name=name or "", note=note or "")

    # --- checklists ------------------------------------------------------------------

    def checklists(self, node, path):
        out, codes = [], []
        for i, c in enumerate(self.listing(node, path)):
            p = (*path, i)
            c = self.mapping(c, p, required=("code", "name", "items"), optional=("note",))
            if c is None:
                continue
            code = self.code(c["code"], (*p, "code")) if "code" in c else None
            codes.append((code, (*p, "code")))
            items, item_codes = [], []
            raw_items = c.get("items", [])
            raw_items = self.listing(raw_items, (*p, "items"), allow_empty="items" not in c)
            for j, it in enumerate(raw_items):
                q = (*p, "items", j)
                it = self.mapping(
                    it,
                    q,
                    required=("code", "name", "match"),
                    optional=("required", "at_least", "note"),
                )
                if it is None:
                    continue
                item_code = self.code(it["code"], (*q, "code")) if "code" in it else None
                item_codes.append((item_code, (*q, "code")))
                raw = it.get("match", [])
                filters = [
                    self.fact_filter(
                        m, (*q, "match", k) if isinstance(raw, list) else (*q, "match")
                    )
                    for k, m in enumerate(raw if isinstance(raw, list) else [raw])
                ]
                if "match" in it and isinstance(raw, list) and not raw:
                    self.error((*q, "match"), _("列表不能为空"))
                required = self.boolean(
                    it.get("required", _MISSING), (*q, "required"), default=True
                )
                at_least = self.integer(it.get("at_least", _MISSING), (*q, "at_least"), default=1)
                if None in (item_code, required, at_least) or None in filters or not filters:
                    continue
                items.append(
                    ChecklistItem(
                        code=item_code,
                        name=self.name(it, q),
                        match=tuple(filters),
                        required=required,
                        at_least=at_least,
                        note=self.text(it.get("note", _MISSING), (*q, "note"), default=""),
                    )
                )
            self.unique(item_codes, _("清单项"))
            if code is None:
                continue
            out.append(
                Checklist(
                    code=code,
                    name=self.name(c, p),
                    items=tuple(items),
                    note=self.text(c.get("note", _MISSING), (*p, "note"), default=""),
                )
            )
        self.unique(codes, _("清单"))
        return tuple(out)
