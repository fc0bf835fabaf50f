"""Store ids in the UI's URLs: MLMD ids are 64-bit integers, so a longer number is no id.

In a path (`/artifacts/<id>`, `/api/lineage/<id>`), a number of more than 18 digits matches no
route: 404, like any id the store does not hold. In a query parameter (`?before=`,
`?models=`), a number outside the 64-bit range is a 400 naming the parameter.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

MAX_STORE_ID = 2**63 - 1


class StoreIdConvertor(Convertor[int]):
    """`{name:store_id}`: a non-negative integer of at most 18 digits (every id MLMD hands out)."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        """The id."""
        return int(value)

    def to_string(self, value: int) -> str:
        """The id in a URL."""
        return str(int(value))


register_url_convertor("store_id", StoreIdConvertor())


def in_range(value: int, what: str) -> int:
    """`value`, checked to fit a store id or cursor.

    Raises:
        HTTPException: 400 naming `what` when it does not fit in 64 bits.
    """
    if not -MAX_STORE_ID <= value <= MAX_STORE_ID:
        raise HTTPException(400, f"{what} must fit in 64 bits, got {value}")
    return value
