"""cargame: Beat the AI, Car Edition."""

__version__ = "0.1.0"
