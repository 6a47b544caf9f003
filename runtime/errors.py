"""Problems the runtime reports to users as diagnostics (exit code 1), never as tracebacks."""

from __future__ import annotations


class RuntimeProblem(Exception):
    """Bad data, a bad checkpoint or a diverging run: a message, a code and a fix."""

    def __init__(self, message: str, *, code: str = "E-data", help: str = "", notes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.help = help
        self.notes = notes

    def render(self) -> str:
        lines = [f"error[{self.code}]: {self.message}"]
        lines += [f"  = note: {n}" for n in self.notes]
        if self.help:
            lines.append(f"  = help: {self.help}")
        return "\n".join(lines)
