"""The `bot` command: build, serve, ask, eval, check-corpus."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .check import check_corpus


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit 1."""


def cmd_check_corpus(args: argparse.Namespace) -> int:
    """Validate corpus/; print each defect as file:line: message."""
    from .settings import Settings

    root = args.corpus or Settings().corpus_dir
    defects = check_corpus(root)
    for defect in defects:
        print(defect, file=sys.stderr)
    if defects:
        print(f"{len(defects)} defect(s) in {root}", file=sys.stderr)
        return 1
    from .corpus import load_corpus

    corpus = load_corpus(root)
    print(
        f"corpus OK: {len(corpus.documents)} documents, "
        f"{sum(len(d.articles) for d in corpus.documents.values())} articles, {len(corpus.faq)} FAQ entries, "
        f"{len(corpus.channels)} channels, {len(corpus.quiz)} quiz items (version {corpus.version})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with examples in each --help."""
    parser = argparse.ArgumentParser(
        prog="bot",
        description="反间谍安全防范 public-education chatbot.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  bot check-corpus\n",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "check-corpus",
        help="validate corpus/ (non-zero exit with file:line on each defect)",
        epilog="example:\n  bot check-corpus\n  bot check-corpus --corpus /srv/bot/corpus",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--corpus", help="corpus directory (default: BOT_CORPUS_DIR or the bundled corpus/)")
    p.set_defaults(func=cmd_check_corpus)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
