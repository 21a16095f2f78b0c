"""Assemble the Typer app from the command groups."""

from __future__ import annotations

import signal
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import short
from . import run_cmd, scenario_cmd, topology_cmd
from . import compare_cmd, report_cmd, sweep_cmd
from .common import exit_soon, guard, ignore_ctrl_c

try:  # Typer >= 0.20 ships its own copy of click; older Typer uses click itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import exceptions as click_exceptions


def usage_line(err: Any, where: str = "supplychain") -> str:
    """A usage error (bad option value, missing argument, unknown option) as one line:
    `supplychain run: --seed: 'abc' is not a valid integer`. `where` names the command when
    the error carries no context (the option parser's own errors, e.g. a missing value)."""
    where = err.ctx.command_path if getattr(err, "ctx", None) is not None else where
    param = getattr(err, "param", None)
    if isinstance(err, click_exceptions.BadParameter) and not isinstance(err, click_exceptions.MissingParameter):
        if err.param_hint is not None:
            hint = err.param_hint if isinstance(err.param_hint, str) else "/".join(err.param_hint)
        elif param is not None:
            # an argument: its metavar (Typer's arguments have no `human_readable_name`)
            hint = (param.opts[0] if getattr(param, "param_type_name", "") == "option"
                    else (getattr(param, "metavar", None) or param.name or "").upper().strip(".[]"))
        else:
            hint = ""
        text = f"{hint}: {err.message}" if hint else err.message
        cause = err.__cause__  # Typer converts values with pydantic: say what was given, as input errors do
        if hasattr(cause, "errors") and "(got " not in text:
            errors = cause.errors()
            if errors and "input" in errors[0]:
                text = f"{text} (got {short(errors[0]['input'])})"
    else:
        text = err.format_message()
    text = " ".join(text.split()).rstrip(".")
    if isinstance(err, click_exceptions.NoSuchOption) and err.option_name == "--plugin":  # a root option, misplaced
        text += f" (it goes before the command: supplychain --plugin FILE {where.removeprefix('supplychain ')} ...)"
    return f"{where}: {text}"


class _Interrupted(Exception):
    """Ctrl-C while the words are parsed or a command is found, before its guard: Typer would end silently with
    status 130 (0.29) or Click print `Aborted!` with status 1 (older Typer); said `interrupted`, 130, as a command's."""


class OneLineUsageErrors(TyperGroup):
    """The root command: a usage error is one line on stderr and exit status 2 (Typer would
    draw a box of five lines). Help, `--help` and every other exit are left as Typer does them."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:  # the caller handles exceptions itself
            return super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
        except click_exceptions.NoArgsIsHelpError:
            sys.exit(2)  # the help is already printed
        except click_exceptions.UsageError as err:
            typer.echo(usage_line(err, self.command_path_of(sys.argv[1:] if args is None else list(args))), err=True)
            sys.exit(err.exit_code)
        except click_exceptions.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except _Interrupted:
            typer.echo("interrupted", err=True)
            sys.exit(128 + signal.SIGINT)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        # non-standalone mode returns what the command returned (None) or the code it exited with
        sys.exit(code if isinstance(code, int) else 0)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def invoke(self, ctx: Any) -> Any:
        try:  # a command's own Ctrl-C is its guard's (`common.guard`): this is one before it, or between
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def command_path_of(self, args: list[str]) -> str:
        """`supplychain` and the (sub)command names that lead `args`, e.g. `supplychain scenario validate`. Options
        before a command are passed over with their values: `supplychain --plugin FILE sweep ...` is in `sweep`."""
        names, cmd, tokens = ["supplychain"], self, iter(args)
        for token in tokens:
            sub = getattr(cmd, "commands", {}).get(token)
            if sub is not None:
                names.append(token)
                cmd = sub
                continue
            option = next((p for p in getattr(cmd, "params", ()) if token in getattr(p, "opts", ())), None)
            if option is None and not token.startswith("-"):
                break  # an argument: the command is named
            if option is not None and not getattr(option, "is_flag", False):
                next(tokens, None)  # the option's value (`--plugin FILE`), not a command's name
        return " ".join(names)


app = typer.Typer(
    cls=OneLineUsageErrors,
    name="supplychain",
    help="Simulate the AI semiconductor supply chain and the pace of frontier model generations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
@app.callback()
def root(plugin: list[str] = typer.Option(
        [], "--plugin", metavar="MODULE|FILE.py",
        help="Import a module (a name, or a .py file) that registers allocation rules, ordering policies or "
             "shock kinds, before the command reads its files; repeatable")) -> None:
    """Simulate the AI semiconductor supply chain and the pace of frontier model generations."""
    from ..plugins import load_plugin

    with guard():
        for spec in plugin:
            load_plugin(spec)


#: each command's `--help` ends with these (README "Experiments" has more); tests parse every one
EXAMPLES = {
    "run": ["supplychain run                             # policies/baseline.yaml",
            "supplychain run policies/hbm_full_ban.yaml -n 20 -w 8",
            "supplychain run policies/baseline.yaml -n 200 -o /scratch/base -q",
            "Rerun the same command to resume a stopped run; --fresh starts over."],
    "compare": ["supplychain compare policies/baseline.yaml policies/hbm_full_ban.yaml -n 10",
                "supplychain report outputs/compare_baseline_vs_hbm_full_ban"],
    "sweep": ["supplychain sweep policies/baseline.yaml -p labs.utilisation=0.3,0.4,0.5",
              "supplychain sweep policies/baseline.yaml --lhs 40 -p labs.utilisation=0.3:0.5"],
    "report": ["supplychain report outputs/baseline"],
}


def _epilog(command: str) -> str:
    return "Examples:\n\n" + "\n".join(EXAMPLES[command])


app.command("run", epilog=_epilog("run"))(run_cmd.run)
app.command("compare", epilog=_epilog("compare"))(compare_cmd.compare)
app.command("sweep", epilog=_epilog("sweep"))(sweep_cmd.sweep)
app.command("report", epilog=_epilog("report"))(report_cmd.report)
app.add_typer(topology_cmd.app, name="topology")
app.add_typer(scenario_cmd.app, name="scenario")


def main() -> None:
    """The console script: the app, in a process that ends within `EXIT_GRACE_S` once a command
    was stopped by Ctrl-C (130) or SIGTERM (143), whatever its exit then waits for (`exit_soon`)."""
    try:
        app(prog_name="supplychain")  # also under `python -m supplychain`: errors name the command as the README does
    except SystemExit as exc:
        if exc.code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
            exit_soon(int(exc.code))
        raise
    finally:
        ignore_ctrl_c()  # the command said how it ended: a Ctrl-C in the teardown changes nothing
