"""The exit statuses of every ``csc`` command (listed in the README, section "Exit statuses"; a test keeps the two
in step). Scripts and schedulers branch on them: only :data:`UNAVAILABLE` is worth retrying as it is."""

from __future__ import annotations

OK = 0
"""Done (or already done: a second load of the same extract, a publication with nothing new)."""

REFUSED = 1
"""The command ran and the answer is no: an extract refused, a batch blocked by a data-quality rule, a build that
failed, a publication refused, a backfill stopped at a failed night, a bad argument value. Retrying as it is gives
the same answer."""

BLOCKED = REFUSED
"""``csc check``: a blocking data-quality rule failed (the batch is not published). Same status as refused."""

ERROR = 2
"""Wrong usage (unknown option, missing argument), or ``csc check`` could not run the rules."""

NOTHING = 3
"""Nothing to do: no extract waiting (``csc load``), the embedded warehouse not running (``csc warehouse status``)."""

REPLACED = 5
"""``csc load``: not loaded, the extract was replaced by a correction (``--force`` loads it again)."""

UNAVAILABLE = 75
"""The warehouse is not running or went away mid-step (EX_TEMPFAIL): nothing was half-done; start it
(``csc warehouse start``) and run the command again."""

STATUSES = {"OK": OK, "REFUSED": REFUSED, "ERROR": ERROR, "NOTHING": NOTHING, "REPLACED": REPLACED,
            "UNAVAILABLE": UNAVAILABLE}
