"""A problem found in a document: where (its path) and what. Validators return these; forms, the CLI and
the API render them (a form puts each on the field its path starts with)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def under(self, prefix: str) -> str:
        """The path relative to `prefix` ("rules[3] (BP-STAGE2).predicate.kind" under "rules[3] (BP-STAGE2)"
        is "predicate.kind"), or the whole path when it is not under it."""
        if self.path == prefix:
            return ""
        if self.path.startswith(prefix + "."):
            return self.path[len(prefix) + 1 :]
        return self.path

    @property
    def head(self) -> str:
        """The first name of the path: "protocol" of "protocol.checklist[0].text"."""
        return self.path.split(".", 1)[0].split("[", 1)[0]
