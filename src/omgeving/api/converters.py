"""Path converters: object ids in URLs are 1-18 digits, so an absurd id is a 404, not an
integer overflow in the database."""

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
