"""Response propensity on UCI Bank Marketing: gradient boosting against a simple rule, on a time holdout.

    marketsql build -p examples/bank_marketing && python examples/bank_marketing/response.py

The contacts are in time order (May 2008 – Nov 2010): the first 75 % train, the last 25 % are the holdout.
Candidates: scikit-learn's HistGradientBoostingClassifier on every column of bank_contacts (``duration`` is
not there: it leaks the outcome) and the baseline rule "previous campaign succeeded, then contacted before,
then fewer calls in this campaign". Printed: ROC AUC, PR AUC and lift in the top 10 % of the holdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def evaluate(project_dir: Path = HERE, holdout_share: float = 0.25, seed: int = 0) -> dict[str, dict[str, float]]:
    """Holdout ROC AUC, PR AUC and top-decile lift of the model and the baseline rule."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, roc_auc_score

    import marketsql

    con = marketsql.connect(project_dir, read_only=True)
    try:
        frame = con.execute("SELECT * FROM bank_contacts ORDER BY contact_id").df()
    finally:
        con.close()
    features = [c for c in frame.columns if c not in ("contact_id", "subscribed")]
    x, y = frame[features].to_numpy(np.float64, na_value=np.nan), frame["subscribed"].to_numpy()
    cut = int(len(frame) * (1 - holdout_share))
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, early_stopping=False, random_state=seed)
    model.fit(x[:cut], y[:cut])
    test = frame.iloc[cut:]
    scores = {"gradient boosting": model.predict_proba(x[cut:])[:, 1],
              "baseline rule": (2.0 * test["previous_success"] + test["contacted_before"]
                                - test["contacts_this_campaign"] / 100.0).to_numpy()}
    out = {}
    for name, s in scores.items():
        top = np.argsort(-s, kind="mergesort")[: len(s) // 10]
        out[name] = {"roc_auc": roc_auc_score(y[cut:], s), "pr_auc": average_precision_score(y[cut:], s),
                     "lift_top10": y[cut:][top].mean() / y[cut:].mean()}
    out["holdout"] = {"contacts": len(test), "response_rate": float(y[cut:].mean()), "train_contacts": cut}
    return out


if __name__ == "__main__":
    result = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    h = result.pop("holdout")
    print(f"holdout: last {h['contacts']:,} contacts ({h['response_rate']:.1%} subscribed),"
          f" trained on {h['train_contacts']:,}")
    for name, m in result.items():
        print(f"{name:<18} ROC AUC {m['roc_auc']:.3f}  PR AUC {m['pr_auc']:.3f}  lift top 10 % {m['lift_top10']:.2f}")
