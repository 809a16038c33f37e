"""The differentiable ops of the autograd core, each a small ``Function`` with its gradient."""

from scratchnet.ops import methods

methods.install()
