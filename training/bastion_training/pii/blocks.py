"""Template blocks: how the generator's templates are written down and numbered.

A block is one format and language with its templates in one string, one per line
(:meth:`TemplateBlocks.lines`) or separated by ``%%`` lines for multi-line templates
(:meth:`TemplateBlocks.multi`). Ids count per (language, format) in the order written, so
new templates are appended, never inserted: a template keeps its id and its split.

>>> blocks = TemplateBlocks()
>>> blocks.lines("chat", "en", "hi {PERSON}\\nbye {PERSON}\\n")
>>> [t.template_id for t in blocks.templates()]
['en-chat-000', 'en-chat-001']
>>> blocks.templates(tag="v3")[1]
Template(template_id='en-v3chat-001', format='chat', lang='en', text='bye {PERSON}', stratum='v3-en')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    """One generator template: its id (which decides its split), format, language and text."""

    template_id: str
    format: str
    lang: str
    text: str
    stratum: str = ""  # split stratum override (templates_intl: "v3-<lang>"); "" = by format/language


class TemplateBlocks(list[tuple[str, str, str, str]]):
    """(format, lang, separator, body) blocks in the order written."""

    def lines(self, fmt: str, lang: str, body: str) -> None:
        self.append((fmt, lang, "\n", body))

    def multi(self, fmt: str, lang: str, body: str) -> None:
        self.append((fmt, lang, "\n%%\n", body))

    def language(self, lang: str, *, chat: str, negative: str, email: str = "", form: str = "") -> None:
        """A language's usual blocks in the order they are written: ``chat`` lines, multi-line
        ``email`` or ``form`` templates, ``negative`` lines."""
        self.lines("chat", lang, chat)
        for fmt, body in (("email", email), ("form", form)):
            if body:
                self.multi(fmt, lang, body)
        self.lines("negative", lang, negative)

    def templates(self, tag: str = "") -> list[Template]:
        """The templates, ids ``<lang>-<tag><format>-<n>``; a ``tag`` (a later batch) is also
        the batch's own split stratum ``<tag>-<lang>``, so adding it moves no earlier template."""
        out: list[Template] = []
        counters: dict[tuple[str, str], int] = {}
        for fmt, lang, sep, body in self:
            for text in body.strip("\n").split(sep):
                if not text.strip():
                    continue
                n = counters.get((lang, fmt), 0)
                counters[(lang, fmt)] = n + 1
                stratum = f"{tag}-{lang}" if tag else ""
                out.append(Template(f"{lang}-{tag}{fmt}-{n:03d}", fmt, lang, text, stratum=stratum))
        return out
