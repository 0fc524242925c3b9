"""The fraud features (defined in models.fraud_features, which serving imports without this package)."""

from models.fraud_features import FEATURE_NAMES, RAW_COLUMNS, build_features

__all__ = ["FEATURE_NAMES", "RAW_COLUMNS", "build_features"]
