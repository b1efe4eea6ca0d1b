"""The headless command line (contract.md). `mediation-desk` without a command starts the desktop program.

Commands live in `desktop/commands/`, one module per group, each with `register(subparsers)`;
nothing here imports Qt, so every headless command works where PySide6 cannot be imported.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from desktop import __version__
from desktop.errors import InputError, Refused


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mediation-desk", description="调解工作台 MediationDesk")
    parser.add_argument("--version", action="version", version=f"mediation-desk {__version__}")
    parser.add_argument("--db", help="数据库文件（不带命令时用于启动桌面程序）")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import desktop.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"desktop.commands.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def _starts_program(argv: list[str]) -> bool:
    return argv == [] or (len(argv) == 2 and argv[0] == "--db" and not argv[1].startswith("-"))


# Options whose value is free text: "--search -Acme" means the text "-Acme", not an option -A.
FREE_TEXT_OPTIONS = {"--search", "--reason", "--org-name", "--name", "--display-name", "--abbr"}


def _join_free_text(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        tok = argv[i]
        if tok in FREE_TEXT_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and not argv[i + 1].startswith("--"):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def _print_errors(messages) -> None:
    for m in messages:
        print(m, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    args_in = sys.argv[1:] if argv is None else list(argv)
    if _starts_program(args_in):
        # No command: start the desktop program at once, without importing every command module.
        from desktop.ui.app import main as ui_main

        return ui_main(args_in[1] if args_in else None)
    parser = build_parser()
    args = parser.parse_args(_join_free_text(args_in))
    if not args.command:
        from desktop.ui.app import main as ui_main  # the only path that needs Qt

        return ui_main(args.db)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not at interpreter exit
        return code
    except InputError as exc:
        _print_errors(exc.messages)
        return 2
    except Refused as exc:
        _print_errors([exc.message])
        return 1
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _broken_pipe()
    except Exception as exc:  # noqa: BLE001 - a fault ends in words (and the log), never a traceback
        from desktop import faults

        faults.log_exception(exc, f"command {args.command}")
        _print_errors([faults.message(exc)])
        return 1


def _broken_pipe() -> int:
    """`cases --json | head`: the reader went away. Point stdout at nothing so the interpreter's final
    flush does not fail again, and say so once on stderr."""
    import os

    from desktop import faults

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    try:
        _print_errors([faults.message(BrokenPipeError())])
    except OSError:
        pass
    return 1
