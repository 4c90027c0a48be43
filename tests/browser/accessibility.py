"""axe-core in the browser tests: the vendored axe.min.js is added to every
document of a page as an init script (Playwright's init scripts run outside
the page's Content Security Policy), and `violations` runs it on what the page
shows, keeping the serious and critical findings."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_ready(page) -> None:
    page.add_init_script(path=str(AXE))


def violations(page) -> list[dict]:
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in found if v["impact"] in BLOCKING]


def describe(where: str, found: list[dict]) -> str:
    """One readable block per rule: what is wrong, and the elements."""
    lines = []
    for v in found:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(node['target'])}: {node['html'][:160]}")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)
