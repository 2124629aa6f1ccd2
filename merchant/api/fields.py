"""Types every API schema is built from, so that input no column can hold is a 422 naming the
field (never a 500 from the database) and the OpenAPI document says the true ranges.

- `InputSchema`: the base of every request schema; refuses NUL bytes, lone surrogates,
  datetimes beyond what every time zone can show, non-finite numbers and 64-bit overflow in
  any field, nested values included (merchant/limits.py says why each).
- `Int32`, `Count`, `Money`, `Id`: strict whole numbers in a column's range (`true` is not 1).
- `QueryId`, `QueryCount`: an id, a count or size in a path or query string (text there, so not
  strict).
- `Text`: a plain query or path string, checked like the fields of `InputSchema`.
- `LocalTime`: a wall-clock time "HH:MM[:SS]" (OpenAPI's `format: time` demands an offset).
- `Problem`: the documented shape of an error answer.
- `Page`: limit/offset pagination with bounded limit and offset.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from pydantic import AfterValidator, Strict, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from merchant.limits import INT32_MAX, INT32_MIN, INT64_MAX, value_problem

MAX_PAGE = 500

Int32 = Annotated[int, Strict(), Field(ge=INT32_MIN, le=INT32_MAX)]
Count = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
Money = Annotated[int, Strict(), Field(ge=0, le=INT64_MAX)]
Id = Annotated[int, Strict(), Field(ge=1, le=INT64_MAX)]
QueryId = Annotated[int, Field(ge=1, le=INT64_MAX)]
QueryCount = Annotated[int, Field(ge=0, le=INT32_MAX)]
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "description": "Local wall-clock time, HH:MM or HH:MM:SS.",
            "example": "17:00",
        }
    ),
]


def _storable(value: Any) -> Any:
    problem = value_problem(value)
    if problem:
        raise PydanticCustomError("not_storable", problem)
    return value


Text = Annotated[str, AfterValidator(_storable)]  # for a plain query or path parameter


class Problem(Schema):
    """The JSON problem every error answers with (config/api.py)."""

    status: int
    code: str
    detail: str
    field: str | None = None


class InputSchema(Schema):
    @field_validator("*", mode="after")
    @classmethod
    def storable(cls, value: Any) -> Any:
        return _storable(value)


class Page(LimitOffsetPagination):
    class Input(InputSchema):
        limit: int = Field(100, ge=1, le=MAX_PAGE)
        offset: int = Field(0, ge=0, le=INT32_MAX)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


class StrictJsonParser(Parser):
    """JSON bodies as RFC 8259 defines them: Python's json also reads NaN and Infinity, which
    no column should store and no JSON answer can carry. Any parse failure is a 400."""

    def parse_body(self, request: HttpRequest) -> dict:
        return json.loads(request.body, parse_constant=_refuse_constant)
