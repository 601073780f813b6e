"""`python -m demo`: see demo.launcher."""

from demo.launcher import main

raise SystemExit(main())
