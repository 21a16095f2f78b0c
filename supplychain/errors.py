"""One error type for bad input, rendered as a single line `FILE: field.path: problem (got X)`.

The CLI turns an `InputError` into exit status 2 with that line and no traceback;
library callers catch it like any exception. Input that is legal but probably
not meant is a `ScenarioWarning` (Python's warnings, so notebooks show it).
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover - pydantic is imported where an error is told (a quick `import supplychain`)
    from pydantic import BaseModel, ValidationError

__all__ = ["InputError", "PluginError", "ScenarioWarning", "from_validation_error", "format_loc", "short", "exception_text",
           "PLUGIN"]

#: the "file" of an error in a user's plug-in code (`PluginError`)
PLUGIN = "<plugin>"


class InputError(ValueError):
    """Bad user input: a file, the path of the field inside it, and what is wrong.

    A bad function argument names `<arguments>` as its file (`arguments.py`). A bad option
    value (`bad_option`, e.g. a sweep's `--param PATH`) names the option; the CLI reads
    both as the command and the option as typed (`supplychain run: --seed: ...`, see
    `on_command_line` and `cli.common.as_option`).
    """

    def __init__(self, file: str | Path | None, field: str, problem: str) -> None:
        self.file = _one_line(str(file)) if file is not None else "<input>"
        self.field = _one_line(field) or "<root>"
        self.problem = _one_line(problem)
        self.option: str | None = None
        self.option_path = ""
        # `args` rebuild the error: pickled by a worker process (with `option` in its __dict__), and copied
        # as `type(e)(*e.args)` by SimPy out of a process
        super().__init__(file, field, problem)

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"

    @classmethod
    def bad_option(cls, option: str, problem: str, path: str = "") -> "InputError":
        """A bad value of `option` (`--seed`), or of the `path` inside it (`--param labs.nope`)."""
        err = cls(option, path or option.lstrip("-").replace("-", "_"), problem)
        err.option, err.option_path = option, _one_line(path)
        return err

    def on_command_line(self, command: str) -> "InputError":
        """The same error as the command line reads it: `supplychain sweep: --param seed: problem`."""
        if self.option is None:
            return self
        return InputError(command, f"{self.option} {self.option_path}".strip(), self.problem)


class PluginError(InputError):
    """A user's plug-in (allocation rule, ordering policy, shock kind) raised or broke its contract:
    `<plugin>: ordering.NAME: problem`. Exit status 2 like bad input, one line naming the entry: the
    user's code is at fault, not the engine (the exception it raised is chained, `__cause__`)."""

    def __init__(self, registry: str, name: str, problem: str) -> None:
        super().__init__(PLUGIN, f"{registry}.{name}", problem)
        self.args = (registry, name, problem)

    @classmethod
    def raised(cls, registry: str, name: str, exc: BaseException, doing: str) -> "PluginError":
        """The error of a plug-in whose own code raised `exc` while `doing` something."""
        if isinstance(exc, SystemExit):  # it ended the command with its own status (0 too) and no word
            return cls(registry, name, f"called sys.exit({exc.code!r}) {doing}: a plug-in returns its answer, "
                                       "it does not end the program")
        return cls(registry, name, f"raised {type(exc).__name__} {doing}: {exception_text(exc, 160)}")

    def __reduce__(self) -> tuple:
        """Pickled with the exception the user's code raised, which plain pickling drops: a worker process's
        error reaches the parent with its `__cause__` (`executors.ProcessExecutor`). One that cannot make the
        trip is dropped at the worker (`executors._sendable`)."""
        state = dict(self.__dict__)
        if self.__cause__ is not None:
            state["_raised"] = self.__cause__
        return (type(self), self.args, state)

    def __setstate__(self, state: dict[str, Any]) -> None:
        raised = state.pop("_raised", None)
        self.__dict__.update(state)
        if raised is not None:  # as `raise ... from exc` inside `except` left them
            self.__cause__ = self.__context__ = raised


class ScenarioWarning(UserWarning):
    """A scenario that is legal but probably not meant (a rule or shock that touches nothing, a country
    no node is in, ...): `FILE: field.path: problem`. The run goes on; filter it like any warning."""


def _one_line(text: str) -> str:
    """Escape line breaks and control characters (from file content or names) so the message is one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def format_loc(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _bounded_repr(value: Any, budget: int, depth: int = 0) -> str:
    """`repr(value)` of about `budget` characters at most, in the order the value holds its items."""
    if isinstance(value, (list, tuple, set, dict)) and depth < 4:
        brackets = "{}" if isinstance(value, (set, dict)) else "()" if isinstance(value, tuple) else "[]"
        items = value.items() if isinstance(value, dict) else value
        parts: list[str] = []
        used = 2
        for item in items:
            if used > budget:
                parts.append("...")
                break
            part = (f"{_bounded_repr(item[0], budget - used, depth + 1)}: {_bounded_repr(item[1], budget - used, depth + 1)}"
                    if isinstance(value, dict) else _bounded_repr(item, budget - used, depth + 1))
            parts.append(part)
            used += len(part) + 2
        return brackets[0] + ", ".join(parts) + brackets[1]
    if isinstance(value, (list, tuple, set, dict)):
        return "[...]" if isinstance(value, list) else "{...}"
    if isinstance(value, str) and len(value) > budget:
        value = value[: budget + 1]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * budget:
        return "<a number of more than %d digits>" % budget
    return repr(value)


def exception_text(exc: BaseException, limit: int = 120) -> str:
    """An exception's message on one line, cut to `limit` characters (a user's code may raise anything)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, without ever writing it whole: a YAML alias bomb
    (nine levels of ten aliases) is 10^9 items whose full repr never ended."""
    text = _bounded_repr(value, limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _members(tp: Any) -> list[Any]:
    """The types a value of `tp` may be: unions and `Annotated` unwrapped."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _step(tp: Any, part: Any) -> list[Any]:
    """The types found at `part` (a key, an index, a union tag) inside a value of `tp`."""
    from pydantic import BaseModel

    out: list[Any] = []
    for m in _members(tp):
        origin = typing.get_origin(m)
        if isinstance(m, type) and issubclass(m, BaseModel):
            fields = {**{i.alias: i for i in m.model_fields.values() if i.alias}, **m.model_fields}
            if part in fields:
                out.append(fields[part].annotation)
            elif any(typing.get_origin(i.annotation) is typing.Literal and part in typing.get_args(i.annotation)
                     for i in m.model_fields.values()):
                out.append(m)  # a discriminated union's tag (`nodes.3.fab`): the member it names
        elif origin in (list, tuple) and isinstance(part, int):
            out.extend(typing.get_args(m)[:1])
        elif origin is dict:
            out.extend(typing.get_args(m)[1:2])
    return out


def near_field(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The field of `model` at `loc[:-1]` closest to the unknown key `loc[-1]`, if one is close (a typo:
    `country` for `countries`, `utilization` for `utilisation`): the one-line error says it, so the
    user need not look the schema up."""
    from pydantic import BaseModel

    if not loc:
        return None
    found: list[Any] = [model]
    for part in loc[:-1]:
        if not (isinstance(part, str) and "[" in part):  # pydantic's own union tags, `function-after[...]`
            found = [t for f in found for t in _step(f, part)]
    models = [t for f in found for t in _members(f) if isinstance(t, type) and issubclass(t, BaseModel)]
    names = sorted({i.alias or n for m in models for n, i in m.model_fields.items()})
    close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.7)
    return close[0] if close else None


#: pydantic's bound checks, which a nan or inf read from text fails before any check of finiteness
_BOUNDS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def _non_finite(x: Any) -> bool:
    """A nan or an infinity, as a float or as text a float reads (`nan`, `-inf`, `Infinity`)."""
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return False
    return isinstance(x, float) and not math.isfinite(x)


def from_validation_error(
    file: str | Path | None, err: ValidationError, prefix: str = "", names: dict[str, str] | None = None,
    model: type[BaseModel] | None = None, data: Any = None,
) -> InputError:
    """Pick the most telling pydantic error and make it one line.

    Pydantic reports one error per union branch; the first error whose location
    is deepest is the one a person wants to read. `names` maps positional parts
    of the location (e.g. `nodes.3`) to readable ones (`nodes.tsmc_fab`). `model`, the
    class validated, lets a misspelt key name the field it is close to. `data`, what was
    validated, tells the user's own keys holding `[` from pydantic's tags (`_user_loc`).
    """
    errors = err.errors(include_url=False)
    best = max(errors, key=lambda e: len(e["loc"]))
    path = format_loc(_user_loc(best["loc"], data))
    if names:
        for raw, nice in names.items():
            if path == raw or path.startswith(raw + "."):
                path = nice + path[len(raw):]
                break
    if prefix:
        path = f"{prefix}.{path}" if path else prefix
    msg = best["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if best["type"] == "finite_number" or (best["type"] in _BOUNDS and _non_finite(best.get("input"))):
        # `.inf` / `.nan`: the same words as the topology checks use; a bound checked first (a sweep's
        # `--param PATH=nan`, text pydantic reads as a float) said `less than or equal to 1` of a nan
        msg = "figures must be finite"
    got = best.get("input")
    ctx = best.get("ctx") or {}
    tag = str(ctx.get("discriminator", "kind")).strip("'")
    if best["type"] == "union_tag_invalid":
        return InputError(file, f"{path}.{tag}", f"unknown {tag} (got {ctx.get('tag')!r}); expected one of {ctx.get('expected_tags')}")
    if best["type"] == "union_tag_not_found":
        return InputError(file, f"{path}.{tag}", "Field required")
    if best["type"] == "extra_forbidden":  # a typo'd key: show what it holds, even a mapping, so it can be found
        near = near_field(model, tuple(best["loc"])) if model is not None else None
        hint = f"; did you mean {near!r}?" if near else ""
        return InputError(file, path, f"unknown field (got {short(got)}){hint}")
    if best["type"] in _SHAPES:  # "a valid dictionary or instance of LabPolicy": pydantic's words and class names
        return InputError(file, path, f"{_SHAPES[best['type']]} (got {short(got)})")
    plain = best["type"] in ("missing",) or isinstance(got, (dict, list)) or "(got " in msg
    problem = msg if plain else f"{msg} (got {short(got)})"
    return InputError(file, path, problem)


def _user_loc(loc: tuple, data: Any) -> list[str]:
    """An error's location without pydantic's internal tags (`function-after[...]`, `nullable[float]`), which all
    hold a `[`; a part holding one that is a key of the mapping `data` has there (a lab `lab[eu]`, a mistyped
    `utilisation[0]`) is the user's and stays. Followed through `data` as far as the location matches it."""
    out: list[str] = []
    here = data
    for part in loc:
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            here = here[part]
        elif "[" in str(part):
            continue  # a tag: the next part is read against the same value
        else:
            here = None  # past what the input holds (a missing field, a union branch's name)
        out.append(str(part))
    return out


#: pydantic's errors of a value of the wrong shape, in a file author's words (`labs: [1]`, `controls:` as a mapping)
_SHAPES = {"model_type": "expected a mapping of fields", "model_attributes_type": "expected a mapping of fields",
           "dict_type": "expected a mapping", "list_type": "expected a list"}
