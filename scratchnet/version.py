"""The package's version (``sn.__version__``), in a module of its own so that any layer can read it
without importing the package's top level."""

__version__ = "0.1.0"
