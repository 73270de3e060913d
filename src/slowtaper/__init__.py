"""slowtaper: slow, guarded benzodiazepine and Z-drug tapers that real products can make exactly."""

__version__ = "0.1.0"
