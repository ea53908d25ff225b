"""Customer segmentation: a portable numpy model (``model``) and its training (``train``).

Importing this package is cheap: scikit-learn is only imported by ``train`` and the modules it uses
(``candidates``, ``select``, ``rfm``), loaded the first time ``train_segmentation`` /
``rfm_scores`` / ``TrainingResult`` is used.
"""

from __future__ import annotations

from typing import Any

from .model import FEATURES, SegmentationModel

__all__ = ["FEATURES", "SegmentationModel", "TrainingError", "TrainingResult", "rfm_scores", "train_segmentation"]

_LAZY = {"train_segmentation": "train", "TrainingResult": "train", "TrainingError": "train", "rfm_scores": "rfm"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
