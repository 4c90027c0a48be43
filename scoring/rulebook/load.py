"""Text to a plain tree (dicts, lists, scalars) plus the line each part starts on.

JSON text (the first character is "{" or "[") is read with the standard library;
any other text is YAML, read with PyYAML's safe loader (and
JSON that fails is tried as YAML then). Either way the result is the same tree,
so the validator does not care which it was. Nothing here raises anything but
LoadError."""

import bisect
import json
import json.decoder
import json.scanner
from decimal import Decimal

import yaml
from django.utils.translation import gettext as _

MAX_CHARS = 500_000
MAX_DEPTH = 40
MAX_NODES = 50_000

Path = tuple  # of str keys and int indexes


class LoadError(Exception):
    def __init__(self, message: str, line: int | None = None, path: Path = ()):
        super().__init__(message)
        self.message, self.line, self.path = message, line, path


def load(text: str) -> tuple[object, dict[Path, int], list[Path]]:
    """The tree, the line of each located path, and the paths of duplicate keys."""
    if len(text) > MAX_CHARS:
        raise LoadError(_("文件过大(超过 %(n)s 个字符)") % {"n": MAX_CHARS})
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _load_json(text)
        except LoadError:
            pass  # JSON is (nearly) a subset of YAML: flow-style YAML lands here too
    return _load_yaml(text)


# --- JSON ------------------------------------------------------------------------


class _Located:
    """Marks a dict or list parsed from JSON with the line it starts on."""

    __slots__ = ()


class _Dict(dict, _Located):
    pass


class _List(list, _Located):
    pass


def _load_json(text):
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    located: dict[int, int] = {}  # id(container) -> line
    duplicates: list[tuple[object, str]] = []

    def line_of(index):
        return bisect.bisect_right(line_starts, index)

    def pairs(items):
        obj = _Dict()
        for key, value in items:
            if key in obj:
                duplicates.append((obj, key))
            obj[key] = value
        return obj

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        obj, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, pairs, memo)
        located[id(obj)] = line_of(s_and_end[1] - 1)
        return obj, end

    def parse_array(s_and_end, scan_once):
        values, end = json.decoder.JSONArray(s_and_end, scan_once)
        values = _List(values)
        located[id(values)] = line_of(s_and_end[1] - 1)
        return values, end

    def parse_constant(name):
        raise ValueError(name)  # NaN and Infinity are not JSON

    decoder = json.JSONDecoder(parse_constant=parse_constant, parse_float=Decimal)
    decoder.parse_object = parse_object
    decoder.parse_array = parse_array
    decoder.memo = {}
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        tree = decoder.decode(text)
    except json.JSONDecodeError as e:
        raise LoadError(_("JSON 格式错误:%(msg)s") % {"msg": e.msg}, e.lineno) from None
    except RecursionError:
        raise LoadError(_("嵌套过深")) from None
    except Exception:  # int too long, a constant, anything the decoder trips on
        raise LoadError(_("JSON 格式错误")) from None

    lines: dict[Path, int] = {}
    dup_paths: list[Path] = []
    by_id: dict[int, Path] = {}
    stack: list[tuple[object, Path]] = [(tree, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise LoadError(_("嵌套过深"), lines.get(path[:-1]))
        if isinstance(node, _Located):
            by_id[id(node)] = path
            if id(node) in located:
                lines[path] = located[id(node)]
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    for obj, key in duplicates:
        if id(obj) in by_id:
            dup_paths.append((*by_id[id(obj)], key))
    return _plain(tree), lines, dup_paths


def _plain(node):
    """Strip the _Located marks (iteratively: the tree may be deep)."""
    root = [None]
    stack = [(node, root, 0)]
    while stack:
        src, dst, key = stack.pop()
        if isinstance(src, dict):
            new = dict.fromkeys(src)  # keys in file order; values filled in below
            stack.extend((v, new, k) for k, v in src.items())
        elif isinstance(src, list):
            new = [None] * len(src)
            stack.extend((v, new, i) for i, v in enumerate(src))
        else:
            new = src
        dst[key] = new
    return root[0]


# --- YAML ------------------------------------------------------------------------


def _load_yaml(text):
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise LoadError(
            _("YAML 格式错误:%(msg)s") % {"msg": e.problem or e.context or ""},
            mark.line + 1 if mark else None,
        ) from None
    except RecursionError:
        raise LoadError(_("嵌套过深")) from None
    except Exception:
        raise LoadError(_("YAML 格式错误")) from None
    if root is None:
        return None, {}, []

    constructor = yaml.SafeLoader("")
    lines: dict[Path, int] = {}
    dup_paths: list[Path] = []
    count = 0

    def scalar(node, path):
        try:
            return constructor.construct_object(node, deep=True)
        except Exception:
            raise LoadError(_("无法识别的值"), node.start_mark.line + 1, path) from None

    result = [None]
    stack = [(root, result, 0, ())]
    while stack:
        node, dst, key, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise LoadError(_("文件内容过多(别名展开后超过 %(n)s 项)") % {"n": MAX_NODES})
        if len(path) > MAX_DEPTH:
            raise LoadError(_("嵌套过深"), node.start_mark.line + 1, path)
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            try:
                constructor.flatten_mapping(node)  # merge keys (<<)
            except Exception:
                raise LoadError(_("无法展开的合并键"), node.start_mark.line + 1, path) from None
            new = {}
            for key_node, value_node in node.value:
                k = scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
                if not isinstance(k, str | int | bool):
                    raise LoadError(_("字段名应为文字"), key_node.start_mark.line + 1, path)
                if k in new:
                    dup_paths.append((*path, k))
                new[k] = None
                stack.append((value_node, new, k, (*path, k)))
        elif isinstance(node, yaml.SequenceNode):
            new = [None] * len(node.value)
            stack.extend((v, new, i, (*path, i)) for i, v in enumerate(node.value))
        else:
            new = scalar(node, path)
        dst[key] = new
    return result[0], lines, dup_paths
