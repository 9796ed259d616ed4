"""Running a stage (pure): the chosen implementation, checked, with the default to fall back on.

Every run first computes the default implementation's output, which the input carries as
``default``. The chosen implementation then runs; its output must match the stage's output
schema and pass the stage's check. On any failure (an unknown implementation or version,
settings that no longer clean, an exception, a malformed output) the result is the default's
output with ``fallback=True`` and the reason in ``error``: a customization never stops billing.
The default implementation and the caller's input are trusted; an error in them raises (the
input is checked against its schema before a customization is given it).
"""

from functools import cache

import jsonschema

from apps.invoices.engine.stages.registry import STAGES, config_clean, implementation_get
from apps.invoices.engine.stages.types import Choice, StageResult

# Whether the default path checks its input too. Off in production (every invoice takes the
# default path, and its caller is trusted code); the test suite turns it on
# (tests/conftest.py), so every input the pipeline builds is held to the contract.
CHECK_DEFAULT_INPUT = False


@cache
def _validators(stage_id: str) -> tuple[jsonschema.Draft202012Validator, ...]:
    """The stage's input and output validators, built once (the schemas never change)."""
    stage = STAGES[stage_id]
    return (
        jsonschema.Draft202012Validator(stage.input_schema),
        jsonschema.Draft202012Validator(stage.output_schema),
    )


def _failure(stage_id: str, output: dict) -> str:
    errors = sorted(
        _validators(stage_id)[1].iter_errors(output),
        key=lambda error: list(error.absolute_path),
    )
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or "output"
        return f"Malformed output at {where}: {errors[0].message}"
    return ""


def stage_run(stage_id: str, choice: Choice | None, input: dict) -> StageResult:
    stage = STAGES[stage_id]
    default = implementation_get(stage_id, stage.default)
    default_output = default.run(input, config_clean(default, {}))
    request = {**input, "default": default_output}
    chosen = choice is not None and (choice.key, choice.version, choice.config) != (
        default.key,
        default.version,
        {},
    )
    if chosen or CHECK_DEFAULT_INPUT:
        # What a customization is given must match the contract: checked before it runs.
        _validators(stage_id)[0].validate(request)
    if not chosen:
        return StageResult(default_output, default.key, default.version)
    try:
        implementation = implementation_get(stage_id, choice.key)
        if implementation.version != choice.version:
            raise LookupError(f"Version {choice.version} of {choice.key} is not available.")
        output = implementation.run(request, config_clean(implementation, choice.config))
        error = _failure(stage_id, output) or (stage.check(request, output) if stage.check else "")
    except Exception as exc:  # noqa: BLE001 — any failure of a customization falls back
        output, error = None, f"{type(exc).__name__}: {exc}"
    if error:
        return StageResult(default_output, choice.key, choice.version, fallback=True, error=error)
    return StageResult(output, implementation.key, implementation.version)
