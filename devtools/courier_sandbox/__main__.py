"""`python -m devtools.courier_sandbox --port 8765`: the courier sandbox server (see cli.py)."""

from devtools.courier_sandbox.cli import main

raise SystemExit(main())
