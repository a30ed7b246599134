from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def bsn_is_valid(value: str) -> bool:
    """The eleven-test (elfproef) of the Dutch citizen service number (BSN).

    Nine digits d1..d9: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 must be divisible by 11.
    """
    if len(value) != 9 or not value.isdigit() or value == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(value, weights, strict=True)) % 11 == 0


def validate_bsn(value: str) -> None:
    if not bsn_is_valid(value):
        raise ValidationError(
            _("Enter a valid BSN: nine digits that pass the eleven-test."), code="invalid_bsn"
        )
