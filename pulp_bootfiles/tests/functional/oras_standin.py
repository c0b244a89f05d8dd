"""
`oras pull [--plain-http] [-o DIR] REFERENCE`, done with oras-py, for the docs test.

The oras CLI (Go) is not packaged for Debian or PyPI; the quickstart's `oras pull` line runs
through this stand-in, which pulls with the oras project's Python client and, like the CLI,
writes each layer under its title and prints what it downloaded.
"""

import argparse
import sys
from pathlib import Path

from oras.client import OrasClient


def main(argv=None):
    parser = argparse.ArgumentParser(prog="oras")
    commands = parser.add_subparsers(dest="command", required=True)
    pull = commands.add_parser("pull")
    pull.add_argument("reference")
    pull.add_argument("--plain-http", action="store_true")
    pull.add_argument("-o", "--output", default=".")
    args = parser.parse_args(argv)
    registry = args.reference.split("/", 1)[0]
    client = OrasClient(hostname=registry, insecure=args.plain_http)
    for path in sorted(client.pull(target=args.reference, outdir=args.output)):
        print(f"Downloaded {Path(path).name}")
    print(f"Pulled {args.reference}")


if __name__ == "__main__":
    sys.exit(main())
