"""Customer value (model kind ``clv``): BG/NBD for purchases and dropout, Gamma-Gamma for spend per purchase."""

from .bgnbd import BgNbd
from .gammagamma import GammaGamma

__all__ = ["BgNbd", "GammaGamma"]
