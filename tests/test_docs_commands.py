"""Every `supplychain ...` command the README and docs/*.md show still parses with the CLI's own parser.

A renamed or removed option, a subcommand that moved, or an option given the wrong number or kind
of values would otherwise leave the docs wrong without any test noticing. Each command is parsed as
the program would parse it (the Typer app's click commands: the root's options, the subcommand
resolved, its options and arguments, their types and callbacks) but never invoked, so nothing runs.

Which text counts as a command, and how it is read:

- Fenced code blocks of a shell language (```` ```bash ````, `sh`, `shell`, `console`, or none), and
  inline code spans in the prose (`` `supplychain compare a.yaml b.yaml -n 3` ``, which may wrap
  over lines). Python, YAML and text blocks hold no shell commands.
- The text is read as a shell reads it: a `\\` at a line's end continues the line; `# comment`
  to the line's end is dropped (so is a `$ ` prompt); `&&`, `||`, `;` and `|` separate commands;
  a redirection (`> FILE`, `2>&1`, `< FILE`) is dropped with its target; quotes are shell quotes.
- A command is one whose first word (after `NAME=value` assignments) is `supplychain`, a path
  ending in `/supplychain` (`.venv/bin/supplychain`), or `python[3] -m supplychain`.
  `python -m supplychain.backtest` is another module, not this CLI.
- An inline span whose second word ends in `:` is an error message (`supplychain run: --seed: ...`),
  not a command, and is skipped.
- `...` elides the rest: the command is checked up to it; one left with no subcommand
  (`python -m supplychain ...`) names no command and is skipped.
- Placeholders - an upper-case word (`N`, `PATH`, `IN`), `<out>`, or a shell variable (`$OUT`,
  `${OUT}`) - stand for a value. As an argument or a text or path option's value any text parses, so
  they stay; as the value of an option whose type refuses them (a number: `--nodes N`) they become
  `1`, so what is checked is that the option exists and takes one value.

The read-only commands among them (`topology validate|show|convert|generate|schema`, `scenario
validate|show|schema`; well under a second each) are also run, from an empty working folder, with the
docs' example names (`my_network.yaml`, `IN`, `N`, ...) standing for shipped files and small values.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
from typer.main import get_command

from supplychain.cli import app

from conftest import ROOT

try:  # Typer >= 0.20 ships its own copy of click; older Typer uses click itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import exceptions as click_exceptions

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console", "zsh"}
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n(.*?)^ {0,3}\1[ \t]*$", re.M | re.S)
INLINE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z0-9_]*|<[^<>]+>|\$\{?\w+\}?)$")
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}


def shell_commands(text: str) -> list[list[str]]:
    """The simple commands of a shell text, as argument lists (continuations, comments, separators and
    redirections handled as the module docstring says)."""
    commands: list[list[str]] = []
    for line in re.sub(r"\\\n", " ", text).split("\n"):
        line = re.sub(r"^\s*\$ ", "", line)  # a console prompt
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        commands.append([])
        target = False  # the next word is a redirection's target
        for token in lexer:
            if target:
                target = False
            elif token in SEPARATORS:
                commands.append([])
            elif set(token) <= set("<>&"):  # a redirection: dropped with its target and a leading fd number
                if commands[-1] and commands[-1][-1].isdigit():
                    commands[-1].pop()
                target = True
            else:
                commands[-1].append(token)
    return [c for c in commands if c]


def cli_words(command: list[str]) -> list[str] | None:
    """The words after the program name if `command` runs this CLI, else None."""
    while command and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", command[0]):
        command = command[1:]  # FOO=bar supplychain ...
    if not command:
        return None
    if command[0] == "supplychain" or command[0].endswith("/supplychain"):
        return command[1:]
    if re.fullmatch(r"(?:.*/)?python(?:3(?:\.\d+)?)?", command[0]) and command[1:3] == ["-m", "supplychain"]:
        return command[3:]
    return None


def elided(words: list[str]) -> list[str]:
    """`words` up to a `...`, which elides the rest; empty if that leaves no subcommand to check."""
    words = words[: words.index("...")] if "..." in words else words
    return words if any(not w.startswith("-") for w in words) else []


def doc_commands() -> list[tuple[str, list[str]]]:
    """(where, words) of every `supplychain` command in the README and docs/*.md: `README.md:286`."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        prose = text
        for block in FENCE.finditer(text):
            prose = prose.replace(block.group(0), "\n" * block.group(0).count("\n"), 1)
            if block.group(2).lower() not in SHELL_BLOCKS:
                continue
            first = text.count("\n", 0, block.start(3)) + 1
            body = block.group(3)
            # one line per command: a command's line is where it starts (continuations joined)
            start = 0
            for chunk in re.split(r"(?<!\\)\n", body):
                for command in shell_commands(chunk):
                    words = cli_words(command)
                    if words is not None and elided(words):
                        found.append((f"{doc.relative_to(ROOT)}:{first + start}", elided(words)))
                start += chunk.count("\n") + 1
        for span in INLINE.finditer(prose):
            code = " ".join(span.group(1).split())
            if not re.match(r"(?:\S*/)?(?:supplychain|python3? -m supplychain)(?: |$)", code):
                continue
            for command in shell_commands(code):
                words = cli_words(command)
                if words is None or not elided(words) or words[0].endswith(":"):  # `supplychain run: --seed: ...`
                    continue  # not a command, or an error message quoted in the prose
                found.append((f"{doc.relative_to(ROOT)}:{prose.count(chr(10), 0, span.start()) + 1}", elided(words)))
    return found


def _parse(words: list[str]):
    """The root's options, then each group's subcommand, each parsed by its own click command."""
    group = get_command(app)
    ctx = group.make_context("supplychain", list(words))
    command = group
    while hasattr(command, "resolve_command"):  # a group: on to the subcommand its words name
        rest = [*ctx._protected_args, *ctx.args] if hasattr(ctx, "_protected_args") else [*ctx.protected_args, *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return ctx


def parse(words: list[str]):
    """Parse `supplychain WORDS` down to the (sub)command it names without invoking anything; return the
    leaf command's context. Raises the parser's UsageError (unknown option, missing value, bad type,
    extra argument, unknown command) as the program would. A placeholder the option's type refuses
    (`--nodes N`) is tried as `1` (Typer 0.2x converts values itself, so the type is learnt by asking)."""
    words = list(words)
    while True:
        try:
            return _parse(words)
        except click_exceptions.BadParameter as err:
            opts = set(getattr(err.param, "opts", ())) | set(getattr(err.param, "secondary_opts", ()))
            at = [i for i in range(1, len(words)) if words[i - 1] in opts and PLACEHOLDER.match(words[i])]
            if isinstance(err, click_exceptions.MissingParameter) or not at:
                raise
            words[at[0]] = "1"


COMMANDS = doc_commands()


def test_the_docs_show_the_commands():
    """The extraction finds what the docs show: each command group, from fences and from the prose."""
    heads = {" ".join(w[:2]) if w and w[0] in ("topology", "scenario") else (w[0] if w else "") for _, w in COMMANDS}
    assert {"run", "compare", "sweep", "report", "topology validate", "topology show", "topology convert",
            "topology generate", "topology schema", "scenario validate", "scenario schema"} <= heads
    where = [w for w, _ in COMMANDS]
    assert any(w.startswith("docs/") for w in where) and len(COMMANDS) >= 20


def test_extraction_reads_the_shell_as_the_shell_does():
    """Continuations, comments, separators, redirections, prompts and the ways to name the program."""
    text = ("$ supplychain sweep a.yaml --param x=1,2 \\\n    --lhs 4   # a comment -n\n"
            "supplychain topology schema > t.json 2>&1 && .venv/bin/supplychain run -q; echo done\n"
            "python -m supplychain.backtest; python3 -m supplychain report 'out dir' | tee log\n")
    assert [cli_words(c) for c in shell_commands(text) if cli_words(c) is not None] == [
        ["sweep", "a.yaml", "--param", "x=1,2", "--lhs", "4"], ["topology", "schema"], ["run", "-q"],
        ["report", "out dir"]]


@pytest.mark.parametrize("words", [
    ["run", "--replications"],                       # an option without its value
    ["run", "--replicates", "3"],                    # no such option
    ["run", "-n", "three"],                          # a value of the wrong kind
    ["run", "a.yaml", "b.yaml"],                     # one argument too many
    ["topology", "generate", "--nodes", "50"],       # a required option missing
    ["topology", "validat", "x.yaml"],               # no such subcommand
    ["scenario", "show", "a.yaml", "--top", "3"],    # an option of another command (`topology show`)
    ["run", "--plugin", "x.py", "a.yaml"],           # a root option after the command
])
def test_a_command_that_does_not_parse_fails(words):
    """The check would catch a broken doc command, each kind of break."""
    with pytest.raises(click_exceptions.UsageError):
        parse(words)


def test_placeholders_stand_for_values_of_the_option_type():
    ctx = parse(["topology", "generate", "--nodes", "N", "--seed", "$S", "-o", "PATH"])
    assert ctx.params["nodes"] == 1 and ctx.params["seed"] == 1 and str(ctx.params["out"]) == "PATH"
    assert parse(["--plugin", "my_rules.py", "run", "my_scenario.yaml"]).parent.params["plugin"] == ["my_rules.py"]


@pytest.mark.parametrize("where,words", COMMANDS, ids=[f"{w} {' '.join(c)}"[:80] for w, c in COMMANDS])
def test_the_doc_command_parses(where, words):
    try:
        parse(words)
    except click_exceptions.UsageError as err:
        pytest.fail(f"{where}: supplychain {shlex.join(words)}: {err.format_message()}")


def test_the_shipped_files_the_doc_commands_name_exist():
    """`policies/...` and `topology/...` in a doc command are the checkout's files: a renamed policy leaves no
    command naming the old file."""
    named = [(where, w) for where, words in COMMANDS for w in words if w.startswith(("policies/", "topology/"))]
    assert len(named) > 10
    missing = [f"{where}: {w}" for where, w in named if not (ROOT / w).is_file()]
    assert not missing, missing


def test_the_experiment_options_table_names_options_of_run_compare_and_sweep():
    """README "Experiments" lists the options the three commands share (`--replications N` / `-n`, ...):
    each spelling exists on each command, so the table cannot keep a renamed or removed option."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Experiments\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `-")]
    named = {opt for row in rows for opt in re.findall(r"`(--?[a-z][a-z-]*)", row)}
    assert {"--replications", "-n", "--seed", "--out", "--topology"} <= named
    group = get_command(app)
    for name in ("run", "compare", "sweep"):
        have = {opt for p in group.commands[name].params for opt in (*p.opts, *p.secondary_opts)}
        assert named <= have, f"{name}: README 'Experiments' names {sorted(named - have)}"


#: the docs' read-only commands: cheap (well under a second each in process), run as shown below
READ_ONLY = {("topology", "validate"), ("topology", "show"), ("topology", "convert"), ("topology", "generate"),
             ("topology", "schema"), ("scenario", "validate"), ("scenario", "show"), ("scenario", "schema")}
#: what the docs' example names and placeholders stand for when the command is run
STAND_INS = {"my_network.yaml": str(ROOT / "topology" / "default.yaml"), "IN": str(ROOT / "topology" / "default.yaml"),
             "my_scenario.yaml": str(ROOT / "policies" / "baseline.yaml"),
             "OUT": "converted.json", "PATH": "generated.yaml", "N": "50", "S": "1"}
READ_ONLY_COMMANDS = [(w, c) for w, c in COMMANDS if tuple(c[:2]) in READ_ONLY]


def test_the_readme_shows_read_only_commands_to_run():
    """The run test below has the README's commands to run (none lost to a change in the extraction)."""
    shown = {tuple(c[:2]) for w, c in READ_ONLY_COMMANDS if w.startswith("README.md")}
    assert shown >= READ_ONLY - {("scenario", "show")}  # README names `scenario show` in a comment only


@pytest.mark.parametrize("where,words", READ_ONLY_COMMANDS, ids=[f"{w} {' '.join(c)}" for w, c in READ_ONLY_COMMANDS])
def test_the_doc_read_only_command_runs(where, words, tmp_path, monkeypatch):
    """Run as a reader would from a folder of their own: the docs' example files are the shipped ones,
    paths the docs give from the repository root are the checkout's, outputs land in the folder."""
    from typer.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    args = words[:2] + [STAND_INS.get(w, str(ROOT / w) if (ROOT / w).exists() and not w.startswith("-") else w)
                        for w in words[2:]]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, f"{where}: supplychain {shlex.join(words)}: {res.output}"
    if words[1] == "schema":
        assert json.loads(res.stdout)["properties"]
    if words[1] in ("convert", "generate"):
        written = tmp_path / STAND_INS.get(words[-1], words[-1])
        assert written.exists() and f"wrote {written.name}" in res.stdout
