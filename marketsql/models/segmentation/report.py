"""What ``marketsql train segmentation`` prints: the best candidates, the selection, features, baselines, profiles."""

from __future__ import annotations

from typing import Any

from marketsql.models.registry import ModelRecord


def training_lines(result: Any, record: ModelRecord) -> list[str]:
    """The best eight candidates by silhouette (and the selected one), why it was chosen, the features kept and
    dropped, the registered version beside the baselines, and the segment profiles."""
    ranked = result.candidates.sort_values("silhouette", ascending=False)
    shown = ranked.head(8)
    if not shown["selected"].any():
        shown = ranked[ranked["selected"]].combine_first(shown)
    lines = [f"best {len(shown)} of {len(ranked)} candidates",
             *shown.to_string(index=False, float_format=lambda v: f"{v:.3f}").splitlines(), result.selection]
    lines += [f"  feature {item['feature']}: {'kept' if item['kept'] else 'dropped'} — {item['reason']}"
              for item in result.feature_report]
    metrics = record.metrics
    lines.append(f"Registered {record.name} v{record.version} ({record.kind}, k={metrics.get('k')}) as active:"
                 f" silhouette {metrics.get('silhouette'):.3f}, Davies-Bouldin {metrics.get('davies_bouldin'):.3f},"
                 f" stability {metrics.get('stability'):.3f}")
    lines += [f"  baseline {name}: silhouette {block.get('silhouette'):.3f},"
              f" Davies-Bouldin {block.get('davies_bouldin'):.3f} ({block.get('segments')} segments)"
              for name, block in metrics.get("baseline", {}).items()]
    profiles = result.profiles[["name", "size", "share_customers", "share_revenue", "distinguishing"]]
    descriptions = [f"  {row.name}: {row.description}" for row in result.profiles.itertuples(index=False)]
    return [*lines, *profiles.to_string(index=False).splitlines(), *descriptions]
