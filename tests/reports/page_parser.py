"""Parsing report.html in tests: finding and change rows, status cards, URLs, articles, text."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects what the assertions need while parsing the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.finding_rows: list[dict[str, str | None]] = []
        self.change_rows: list[dict[str, str | None]] = []
        self.cards: dict[str, str] = {}
        self.articles = 0
        self._stack: list[str] = []
        self._in_findings_body = False
        self._card: str | None = None
        self._count_open = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        for name in ("src", "href", "action", "xlink:href", "poster"):
            if attributes.get(name):
                self.urls.append(str(attributes[name]))
        if tag == "table" and attributes.get("id") == "findings-table":
            self._stack.append("findings")
        if tag == "tbody" and self._stack[-1:] == ["findings"]:
            self._in_findings_body = True
        if tag == "tr" and self._in_findings_body:
            self.finding_rows.append(attributes)
        if tag == "tr" and attributes.get("data-class"):
            self.change_rows.append(attributes)
        if tag == "button" and attributes.get("data-filter-status"):
            self._card = attributes["data-filter-status"]
        if tag == "span" and self._card and "card-count" in (attributes.get("class") or ""):
            self._count_open = True
        if tag == "article":
            self.articles += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_findings_body = False
        if tag == "table" and self._stack:
            self._stack.pop()
        if tag == "span":
            self._count_open = False
        if tag == "button":
            self._card = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._count_open and self._card:
            self.cards[self._card] = data.strip()


def parse(html: str) -> Page:
    """Parse a whole page."""
    page = Page()
    page.feed(html)
    page.close()
    return page
