"""The autograd core: Tensor, Function, the backward engine, grad modes and GradientTape."""
