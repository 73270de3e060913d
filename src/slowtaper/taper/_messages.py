"""What the engine says to people: a message code with parameters, and the English template of every code.

The engine never hands back a finished sentence for a person to read. It returns a `Message` (a code such as
"guardrail.max-step" and the values that fill it in), which the edge renders in the reader's language: the CLI and
logs in English with `Message.english()` (or `str()`), the web app through gettext on the English template (so a
translator's catalogue holds the same template, keyed by its English text). Stored results keep the code and the
parameters (`Message.to_dict()`), never the rendered sentence.

Templates use named placeholders only (`%(dose)s`), so a translation can reorder them. A parameter is a string,
a number, a boolean, None, another `Message` (rendered in the same language first) or a tuple of messages
(rendered and joined with "; "). Amounts are passed as plain decimal strings ("0.5"), dates as ISO dates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

Param = Union[str, int, float, bool, None, "Message", tuple["Message", ...]]

# A stored text from before codes: rendered as it was written (old rows stay readable).
LEGACY = "text"


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Message:
    """A code from `TEMPLATES` and the values its template names."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = _identity) -> str:
        """The message with `translate` applied to its template (and to every nested message's): the identity gives
        English, gettext the reader's language. Raises KeyError for an unknown code or a missing parameter."""
        template = TEMPLATES[self.code]
        values: dict[str, Any] = {}
        for name, value in self.params.items():
            if isinstance(value, Message):
                values[name] = value.render(translate)
            elif isinstance(value, tuple):
                values[name] = "; ".join(m.render(translate) for m in value)
            else:
                values[name] = value
        text = template if self.code == LEGACY else translate(template)
        return text % values

    def english(self) -> str:
        return self.render()

    def __str__(self) -> str:
        return self.render()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: {"code": ..., "params": {...}}, nested messages as such dicts, tuples as lists."""
        return {"code": self.code, "params": {k: _dump(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data["code"]), {str(k): _load(v) for k, v in dict(data.get("params") or {}).items()})

    @classmethod
    def legacy(cls, text: str) -> Message:
        """A sentence stored before the engine spoke in codes, kept as it was."""
        return cls(LEGACY, {"text": text})


def _dump(value: Param) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, tuple):
        return [m.to_dict() for m in value]
    return value


def _load(value: Any) -> Param:
    if isinstance(value, dict) and "code" in value:
        return Message.from_dict(value)
    if isinstance(value, list):
        return tuple(Message.from_dict(v) for v in value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def placeholders(template: str) -> set[str]:
    """The names a template fills in (`%(name)s` → "name")."""
    return set(re.findall(r"%\((\w+)\)", template))


def english(messages: tuple[Message, ...] | list[Message]) -> list[str]:
    return [m.english() for m in messages]


# Every code the engine can emit, with its English template. A test checks that each code the engine emits is here
# and renders with the parameters it is given; `manage.py datamessages` hands these to translators.
TEMPLATES: dict[str, str] = {
    LEGACY: "%(text)s",
}
