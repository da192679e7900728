"""JSON outcome columns of the SSD tables, with the fixed keys SSD_CORE.md lists (values Y, N or blank)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

CONTACT = ("NEW_REFERRAL_FLAG", "EXISTING_REFERRAL_FLAG", "CP_ENQUIRY_FLAG", "NFA_FLAG", "NON_AGENCY_ADOPTION_FLAG",
           "PRIVATE_FOSTERING_FLAG", "ADVICE_FLAG", "MISSING_FLAG", "OLA_CP_FLAG", "OTHER_OUTCOMES_EXIST_FLAG")
REFERRAL = ("SINGLE_ASSESSMENT_FLAG", "NFA_FLAG", "STRATEGY_DISCUSSION_FLAG", "CLA_REQUEST_FLAG",
            "NON_AGENCY_ADOPTION_FLAG", "PRIVATE_FOSTERING_FLAG", "CP_TRANSFER_IN_FLAG", "CP_CONFERENCE_FLAG",
            "CARE_LEAVER_FLAG", "OTHER_OUTCOMES_EXIST_FLAG")
ASSESSMENT = ("NFA_FLAG", "NFA_S47_END_FLAG", "STRATEGY_DISCUSSION_FLAG", "CLA_REQUEST_FLAG", "PRIVATE_FOSTERING_FLAG",
              "LEGAL_ACTION_FLAG", "PROV_OF_SERVICES_FLAG", "PROV_OF_SB_CARE_FLAG", "SPECIALIST_ASSESSMENT_FLAG",
              "REFERRAL_TO_OTHER_AGENCY_FLAG", "OTHER_ACTIONS_FLAG", "OTHER_OUTCOMES_EXIST_FLAG",
              "TOTAL_NO_OF_OUTCOMES", "COMMENTS")
S47 = ("NFA_FLAG", "LEGAL_ACTION_FLAG", "PROV_OF_SERVICES_FLAG", "PROV_OF_SB_CARE_FLAG", "CP_CONFERENCE_FLAG",
       "NFA_CONTINUE_SINGLE_FLAG", "MONITOR_FLAG", "OTHER_OUTCOMES_EXIST_FLAG", "TOTAL_NO_OF_OUTCOMES",
       "OUTCOME_COMMENTS")
ICPC = ("NFA_FLAG", "REFERRAL_TO_OTHER_AGENCY_FLAG", "SINGLE_ASSESSMENT_FLAG", "PROV_OF_SERVICES_FLAG", "CP_FLAG",
        "OTHER_OUTCOMES_EXIST_FLAG", "TOTAL_NO_OF_OUTCOMES", "COMMENTS")

# Free text of the kind practitioners type: quotes, apostrophes, pound signs (Windows-1252 can carry all of them).
COMMENTS = (
    "",
    "",
    "",
    "Parents engaged well; no further concerns.",
    "Mum said \"we're managing\" but rent arrears of £1,200 remain.",
    "School reports improved attendance (92%).",
    "Dad's new partner not yet assessed - follow up.",
    "Child's views: \"I want to stay with Nan\".",
    "Referred to Early Help; £40 food voucher issued.",
    "Health visitor to monitor; next review in 6 weeks.",
)


def json_objects(keys: tuple[str, ...], values: dict[str, np.ndarray], n: int) -> np.ndarray:
    """One JSON object per row with every key in order; missing keys are blank. Rows sharing values share work."""
    frame = pd.DataFrame({k: np.asarray(values[k], dtype=object) if k in values else np.full(n, "", dtype=object)
                          for k in keys})
    unique = frame.drop_duplicates()
    texts = [json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False, separators=(",", ":"))
             for row in unique.itertuples(index=False, name=None)]
    lookup = unique.assign(_json=texts)
    return frame.merge(lookup, on=list(keys), how="left")["_json"].to_numpy(dtype=object)


def flag(condition: np.ndarray) -> np.ndarray:
    return np.where(condition, "Y", "N").astype(object)
