"""The values of the stages interface (pure): a stage, its implementations and their settings,
the choice of one implementation, and the result of running it.

Everything crossing a stage is JSON (dicts, lists, ints, strings, booleans, null): times are
epoch seconds, money is integers of minor units in the invoice's currency, so an input or an
output can be stored, compared and validated against the stage's JSON Schema.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

CONFIG_KINDS = ("monetary_amount", "integer", "percent", "enum", "boolean")


class ConfigError(ValueError):
    """A setting of an implementation that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    description: str
    input_schema: dict
    output_schema: dict
    default: str  # the key of the default implementation
    per_price: bool  # may be chosen for one price (Choices.prices)
    # What a JSON Schema cannot say about an output (it names only the input's items, …):
    # ``check(input, output)`` returns "" when the output is usable, else why not.
    check: Callable[[dict, dict], str] | None = None


@dataclass(frozen=True)
class ConfigField:
    name: str
    kind: str  # one of CONFIG_KINDS
    label: str
    default: object
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Implementation:
    stage: str
    key: str
    version: int
    title: str
    description: str
    config: tuple[ConfigField, ...]
    run: Callable[[dict, dict], dict]  # (stage input, cleaned config) → output


@dataclass(frozen=True)
class Choice:
    stage: str
    key: str
    version: int
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StageResult:
    output: dict
    key: str
    version: int
    fallback: bool = False
    error: str = ""

    def record(self) -> dict:
        """What ``Invoice.stages`` keeps of the run."""
        return {"implementation": self.key, "version": self.version, "fallback": self.fallback}
