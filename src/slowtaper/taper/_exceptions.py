"""Errors raised by the taper engine. Every message says what was wrong and what to do about it.

Exception tree::

    TaperError
    ├── InvalidInput          a value the caller passed is malformed or implausible
    ├── UnknownDrug           the drug is not in the catalogue
    ├── UnknownProduct        a product name is not in the catalogue for this drug and region
    ├── DoseNotAchievable     a dose cannot be made exactly with the chosen products
    ├── GuardrailViolation    a schedule would break a tapering guardrail
    └── NotModelled           the catalogue lacks the figures a model needs for this drug
"""

from __future__ import annotations

from ._messages import Message


class TaperError(Exception):
    """Root of every error the engine raises on purpose. `message` is what went wrong as a message code with
    parameters, for the reader's language (errors not yet given codes carry their English sentence as a stored
    text); `str()` is the English."""

    def __init__(self, message: Message | str = "") -> None:
        self.message = message if isinstance(message, Message) else Message.legacy(message)
        super().__init__(self.message.english())


class InvalidInput(TaperError):
    """A value the caller passed is malformed, out of range or implausible."""


class UnknownDrug(TaperError):
    """The named drug is not in the catalogue."""


class UnknownProduct(TaperError):
    """A named product is not in the catalogue for the drug and region."""


class DoseNotAchievable(TaperError):
    """A dose cannot be made exactly from the chosen products.

    `suggestion` names a product (as its label, e.g. "0.1 mg/mL suspension") that would make it possible,
    or is None when no catalogue product would.
    """

    def __init__(self, message: Message | str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


class GuardrailViolation(TaperError):
    """A schedule would break a guardrail (step size, pace, step length, dose rise, final stop). `rule` names the
    guardrail; `message` says what is wrong and what to do, as a code with parameters (`str()` is its English)."""

    def __init__(self, message: Message | str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class NotModelled(TaperError):
    """The catalogue lacks a sourced figure the pharmacokinetic model needs for this drug."""
