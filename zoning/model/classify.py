"""Classification of regions x dates under a scheme, on frames and on panels."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from zoning.model.schemes import Scheme


def classify_arrays(scheme: Scheme, metrics: Mapping[str, np.ndarray]) -> np.ndarray:
    """Zone indexes (``-1`` = no zone) for arrays of metrics of any shape.

    This is the vectorised core: it reads only the metrics the scheme names and works in
    chunks, so regions x dates panels of any size classify without copying them whole.
    """
    return scheme.classify(metrics)


def classify_frame(frame: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """Zone ids (``None`` = no zone) for each row of a frame with metric columns.

    Columns the scheme reads but the frame lacks count as missing.
    """
    values = {
        m: pd.to_numeric(frame[m], errors="coerce").to_numpy(float)
        for m in scheme.metrics
        if m in frame
    }
    codes = scheme.classify(values, shape=(len(frame),))
    return pd.Series(scheme.zone_id_array(codes), index=frame.index, name="zone", dtype=object)
