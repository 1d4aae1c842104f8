"""The facts an OpenAPI document of the token endpoint reduces to, as `spec_diff` compares them.

`spec_normalise` makes them from a document; two documents that say the same thing in
different shapes make the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One body or response field: its JSON types, examples' types, and status."""

    types: frozenset[str] = frozenset()
    example_types: frozenset[str] = frozenset()
    forbidden: bool = False
    description: str = ""


@dataclass(frozen=True)
class Shape:
    """An object schema with `allOf` merged: its fields and required names."""

    fields: dict[str, Field]
    required: frozenset[str]
    closed: bool  # additionalProperties: false


@dataclass(frozen=True)
class Header:
    """A header parameter; `grants` lists the grants it is conditionally required for."""

    name: str
    required: bool
    type: str
    grants: frozenset[str]
    description: str


@dataclass(frozen=True)
class Response:
    """One documented status: its headers (by lower-case name), media types and bodies."""

    headers: dict[str, Header]
    media_types: tuple[str, ...]
    shapes: dict[str, Shape]


@dataclass(frozen=True)
class Operation:
    """One method + path, normalised."""

    label: str
    legacy: bool
    security: tuple[str, ...]  # auth kinds, e.g. "basic", "bearer"
    security_text: str
    headers: dict[str, Header]
    body_media_types: tuple[str, ...]
    body: dict[str, Shape]  # by grant; "" when the body is not per grant
    responses: dict[str, Response]


@dataclass(frozen=True)
class Model:
    """The facts of a whole document."""

    servers: tuple[str, ...]
    operations: dict[str, Operation]  # "POST /path"
    error_codes: dict[str, dict[int | None, tuple[str, ...]]]  # code -> status -> sources
