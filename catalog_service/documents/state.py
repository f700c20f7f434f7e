"""Per-instance bookkeeping of document field values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models

_STATE_ATTR = "_document_state"


@dataclass
class DocumentState:
    #: field name -> current value (loaded, defaulted or assigned)
    values: dict[str, Any] = field(default_factory=dict)
    #: names whose stored value has been fetched (or found missing) already
    fetched: set[str] = field(default_factory=set)
    #: names assigned since the last load or save
    changed: set[str] = field(default_factory=set)
    #: name -> the value as loaded or last saved, in canonical JSON: what a save compares with,
    #: so a value assigned unchanged (as a form does with every field) is not recorded
    loaded: dict[str, str] = field(default_factory=dict)


def document_state(instance: models.Model) -> DocumentState:
    """Return ``instance``'s document state, creating it on first use."""
    state = instance.__dict__.get(_STATE_ATTR)
    if state is None:
        state = instance.__dict__[_STATE_ATTR] = DocumentState()
    return state


def reset_document_state(instance: models.Model) -> None:
    """Forget loaded and assigned document values; the next access fetches them again."""
    instance.__dict__.pop(_STATE_ATTR, None)
