"""Customer segmentation: a portable numpy model (``model``) and its training (``train``).

Importing this package is cheap: scikit-learn is only imported by ``marketsql.models.segmentation.train``,
which is loaded the first time ``train_segmentation`` / ``rfm_scores`` / ``TrainingResult`` is used.
"""

from __future__ import annotations

from typing import Any

from .model import FEATURES, SegmentationModel

__all__ = ["FEATURES", "SegmentationModel", "TrainingError", "TrainingResult", "rfm_scores", "train_segmentation"]

_LAZY = {"train_segmentation", "rfm_scores", "TrainingResult", "TrainingError"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import train

        return getattr(train, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
