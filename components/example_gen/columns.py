"""Arrow columns in tfx-bsl's tf.Example layout: one-value lists, a missing value a missing feature."""

from __future__ import annotations

from typing import Any


def one_value_lists(values: Any) -> Any:
    """`[1, None, 3]` -> `[[1], null, [3]]` as a large_list array, without a Python loop."""
    import numpy as np
    import pyarrow as pa

    present = values.is_valid().to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(present)]).astype(np.int64)
    return pa.LargeListArray.from_arrays(pa.array(offsets), values.drop_null(), mask=pa.array(~present))
