"""What changes between consecutive nightly extracts besides new activity: corrections of earlier values.

Most of the night-to-night change comes from the snapshot itself (new referrals, closures, visits recorded late).
On top of that a few records show a provisional value on earlier nights that is corrected later (ethnicity not yet
obtained, referral source unknown, a misspelt surname, a placement postcode not yet entered), as happens when
practitioners complete records. The last night always holds the corrected values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csc_synthetic.context import Context

# (table, key column, column, provisional value; None means a misspelling of the corrected value)
PROVISIONAL = (
    ("ssd_person", "pers_person_id", "pers_ethnicity", "NOBT"),
    ("ssd_person", "pers_person_id", "pers_surname", None),
    ("ssd_cin_episodes", "cine_referral_id", "cine_referral_source_code", "10"),
    ("ssd_cla_placement", "clap_cla_placement_id", "clap_cla_placement_postcode", ""),
)


def corrections(ctx: Context, tables: dict[str, pd.DataFrame], night: np.datetime64) -> dict[str, pd.DataFrame]:
    """Show provisional values for records corrected after ``night`` (no change on the last night)."""
    if ctx.nights < 2 or night >= ctx.as_of:
        return tables
    share = float(ctx.p.nights.corrections_per_night_per_10000_rows) / 10_000 * (ctx.nights - 1)
    out = dict(tables)
    for table, key, column, provisional in PROVISIONAL:
        frame = out[table]
        if frame.empty:
            continue
        h = pd.util.hash_array(frame[key].astype(str).to_numpy(dtype=object),
                               hash_key=f"{ctx.seed:016d}"[-16:]).astype(np.uint64)
        chosen = (h % np.uint64(1_000_000)).astype(np.float64) / 1_000_000 < share
        # the night the value is corrected: one of the later nights, fixed per record
        corrected_on = ctx.as_of - ((h // np.uint64(1_000_000)) % np.uint64(ctx.nights - 1)).astype(
            "timedelta64[D]")
        provisional_now = chosen & (night < corrected_on)
        if not provisional_now.any():
            continue
        frame = frame.copy()
        if provisional is None:
            current = frame.loc[provisional_now, column].astype(str)
            frame.loc[provisional_now, column] = current.map(_misspelt)
            if table == "ssd_person" and _name_clash(frame):
                continue  # never make two people share a name and date of birth
        else:
            frame.loc[provisional_now, column] = provisional
            if column == "cine_referral_source_code":
                frame.loc[provisional_now, "cine_referral_source_desc"] = "Unknown"
        out[table] = frame
    return out


def _misspelt(name: str) -> str:
    """Two neighbouring letters swapped (a typing slip), or a doubled letter for short names."""
    letters = [i for i in range(len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()
               and name[i] != name[i + 1]]
    if not letters:
        return name + name[-1:]
    i = letters[len(name) % len(letters)]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def _name_clash(persons: pd.DataFrame) -> bool:
    key = (persons["pers_forename"].str.lower() + "|" + persons["pers_surname"].str.lower() + "|"
           + persons["pers_dob"].astype(str))
    return bool(key.duplicated().any())
