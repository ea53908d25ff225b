"""Product recommendation: baselines and a Keras two-tower model, evaluated on a time holdout,
exported to numpy and served in SQL (``recommend``, ``recommend_for_segment``, ``similar_products``)."""

from .model import MAX_K, RecommendationModel

__all__ = ["MAX_K", "RecommendationModel"]
